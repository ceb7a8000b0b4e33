package localcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/bulwark-dev/bulwark/internal/localapi"
)

// The plane serves the API of package localapi, JSON over HTTP on its unix
// socket, through one route for every kind and action:
//
//	PUT    /v1/<kind>/<id>           body the spec; answers once the object is ready
//	GET    /v1/<kind>/<id>
//	DELETE /v1/<kind>/<id>
//	POST   /v1/<kind>/<id>:<action>  body the action's input
//	GET    /v1/status
//	GET    /v1/version
//	POST   /v1/shutdown
//
// kinds and actions below are what it serves: a new kind is a
// localapi.Kind and one line in kinds.

// readyTimeout bounds how long a request waits, for its object to be ready
// or its action to be done.
const readyTimeout = 2 * time.Minute

// kinds are the plane's resource kinds, each served by its put, get and delete.
func (p *Plane) kinds() []kindRoute {
	return []kindRoute{
		serveKind(localapi.Regions, p.PutRegion, p.GetRegion, p.DeleteRegion),
		serveKind(localapi.Images, p.BuildImage, p.GetImage, p.DeleteImage),
		serveKind(localapi.Groups, p.PutGroup, p.GetGroup, p.DeleteGroup),
		serveKind(localapi.Balancers, p.PutBalancer, p.GetBalancer, p.DeleteBalancer),
		serveKind(localapi.DNSServers, p.PutDNSServer, p.GetDNSServer, p.DeleteDNSServer),
		serveKind(localapi.DNSRecords, p.PutDNSRecord, p.GetDNSRecord, p.DeleteDNSRecord),
		serveKind(localapi.Parameters, p.PutParameter, p.GetParameter, p.DeleteParameter),
		serveKind(localapi.Databases, p.PutDatabase, p.GetDatabase, p.DeleteDatabase),
		serveKind(localapi.Backups, p.PutBackup, p.GetBackup, p.DeleteBackup),
		serveKind(localapi.Monitors, p.PutMonitor, p.GetMonitor, p.DeleteMonitor),
		serveKind(localapi.RestoreCopies, p.PutRestoreCopy, p.GetRestoreCopy, p.DeleteRestoreCopy),
		serveKind(localapi.Queues, p.PutQueue, p.GetQueue, p.DeleteQueue),
		serveKind(localapi.Caches, p.PutCache, p.GetCache, p.DeleteCache),
		serveKind(localapi.Links, p.PutLink, p.GetLink, p.DeleteLink),
	}
}

// actions are the plane's actions on objects that are not CRUD: faults for
// drills, and the steps of failovers and rebuilds.
func (p *Plane) actions() []actionRoute {
	type (
		svc    = localapi.ServiceID
		region = localapi.RegionID
		none   = localapi.None
	)
	return []actionRoute{
		serveAction(localapi.KillInstance, func(_ context.Context, id svc, in localapi.SlotRequest) (localapi.PID, error) {
			pid, err := p.KillInstance(id, in.Slot)
			return localapi.PID{PID: pid}, err
		}),
		serveAction(localapi.SetZoneDown, func(_ context.Context, id svc, in localapi.ZoneRequest) (localapi.Killed, error) {
			killed, err := p.SetZoneDown(id, in.Zone, in.Down)
			return localapi.Killed{Killed: killed}, err
		}),
		serveAction(localapi.ReadBalancerStats, func(_ context.Context, id svc, _ none) (localapi.BalancerStats, error) {
			return p.BalancerStats(id)
		}),
		serveAction(localapi.PromoteDatabase, func(ctx context.Context, id svc, _ none) (localapi.Database, error) {
			return p.PromoteDatabase(ctx, id)
		}),
		serveAction(localapi.SetSynchronousStandbys, func(ctx context.Context, id svc, in localapi.SyncRequest) (none, error) {
			if in.Reset {
				return none{}, p.ResetSynchronousStandbys(ctx, id)
			}
			return none{}, p.SetSynchronousStandbys(ctx, id, in.Standbys)
		}),
		serveAction(localapi.KillDatabase, func(_ context.Context, id svc, _ none) (localapi.PID, error) {
			pid, err := p.KillDatabase(id)
			return localapi.PID{PID: pid}, err
		}),
		serveAction(localapi.SwitchoverDatabase, func(ctx context.Context, id svc, _ none) (localapi.Notes, error) {
			notes, err := p.SwitchoverDatabase(ctx, id)
			return localapi.Notes{Notes: notes}, err
		}),
		serveAction(localapi.RunBackup, func(ctx context.Context, id localapi.BackupID, in localapi.BackupRequest) (localapi.Backup, error) {
			return p.RunBackup(ctx, id, in.Type)
		}),
		serveAction(localapi.SuspendRegion, func(_ context.Context, id region, _ none) (localapi.Killed, error) {
			killed, err := p.SuspendRegion(id)
			return localapi.Killed{Killed: killed}, err
		}),
		serveAction(localapi.ResumeRegion, func(ctx context.Context, id region, _ none) (localapi.Notes, error) {
			notes, err := p.ResumeRegion(ctx, id)
			return localapi.Notes{Notes: notes}, err
		}),
		serveAction(localapi.PartitionRegion, func(_ context.Context, id region, _ none) (localapi.Table, error) {
			table, err := p.PartitionRegion(id)
			return localapi.Table{Table: table}, err
		}),
		serveAction(localapi.HealRegion, func(_ context.Context, id region, _ none) (localapi.Healed, error) {
			healed, err := p.HealRegion(id)
			return localapi.Healed{Healed: healed}, err
		}),
		serveAction(localapi.AbandonRegion, func(ctx context.Context, id region, _ none) (localapi.Notes, error) {
			notes, err := p.AbandonRegion(ctx, id)
			return localapi.Notes{Notes: notes}, err
		}),
		serveAction(localapi.ReadQueueStats, func(ctx context.Context, id svc, _ none) (localapi.QueueStats, error) {
			return p.QueueStats(ctx, id)
		}),
		serveAction(localapi.SetLinkFault, p.SetLinkFault),
	}
}

// Handler serves the plane's API; shutdown is called on POST /v1/shutdown.
func (p *Plane) Handler(shutdown func()) http.Handler {
	mux := newMux(p.kinds(), p.actions())
	mux.HandleFunc("GET "+localapi.StatusPath, func(w http.ResponseWriter, _ *http.Request) { reply(w, p.Status(), nil) })
	mux.HandleFunc("GET "+localapi.VersionPath, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, localapi.Version{API: localapi.APIVersion, Build: Build}, nil)
	})
	mux.HandleFunc("POST "+localapi.ShutdownPath, func(w http.ResponseWriter, _ *http.Request) {
		reply(w, localapi.None{}, nil)
		go shutdown()
	})
	return mux
}

// kindRoute serves one kind's PUT, GET and DELETE, the ID as its path has it.
type kindRoute struct {
	name string
	put  func(ctx context.Context, id string, body io.Reader) (any, error)
	get  func(ctx context.Context, id string) (any, error)
	del  func(ctx context.Context, id string) error
}

// serveKind serves kind k with the plane's put, get and delete of it.
func serveKind[I localapi.ID, S, O any](k localapi.Kind[I, S, O],
	put func(context.Context, S) (O, error), get func(context.Context, I) (O, error), del func(context.Context, I) error,
) kindRoute {
	return kindRoute{
		name: k.Name,
		put: func(ctx context.Context, id string, body io.Reader) (any, error) {
			var spec S
			if err := decode(body, &spec); err != nil {
				return nil, fmt.Errorf("%s %s: %w", k.Name, id, err)
			}
			if named := k.ID(spec).String(); named != id {
				return nil, fmt.Errorf("%s %s: the body names %s: %w", k.Name, id, named, localapi.ErrBadRequest)
			}
			return put(ctx, spec)
		},
		get: func(ctx context.Context, id string) (any, error) {
			i, err := k.Parse(id)
			if err != nil {
				return nil, err
			}
			return get(ctx, i)
		},
		del: func(ctx context.Context, id string) error {
			i, err := k.Parse(id)
			if err != nil {
				return err
			}
			return del(ctx, i)
		},
	}
}

// actionRoute serves one action's POST.
type actionRoute struct {
	kind, name string
	do         func(ctx context.Context, id string, body io.Reader) (any, error)
}

// serveAction serves action a with the plane's do.
func serveAction[I localapi.ID, In, Out any](a localapi.Action[I, In, Out], do func(context.Context, I, In) (Out, error)) actionRoute {
	return actionRoute{
		kind: a.Kind,
		name: a.Name,
		do: func(ctx context.Context, id string, body io.Reader) (any, error) {
			i, err := a.Parse(id)
			if err != nil {
				return nil, err
			}
			var in In
			if err := decode(body, &in); err != nil && !errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s %s:%s: %w", a.Kind, id, a.Name, err)
			}
			return do(ctx, i, in)
		},
	}
}

// newMux serves kinds and actions on one route, /v1/<kind>/<id...>.
func newMux(kinds []kindRoute, actions []actionRoute) *http.ServeMux {
	byName := map[string]kindRoute{}
	for _, k := range kinds {
		byName[k.name] = k
	}
	byAction := map[string]actionRoute{}
	for _, a := range actions {
		byAction[a.kind+":"+a.name] = a
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/{kind}/{id...}", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		name, id := r.PathValue("kind"), r.PathValue("id")
		if r.Method == http.MethodPost {
			id, action, _ := localapi.SplitAction(id)
			a, ok := byAction[name+":"+action]
			if !ok {
				reply(w, nil, fmt.Errorf("no action %q on %s: %w", action, name, localapi.ErrBadRequest))
				return
			}
			out, err := a.do(ctx, id, r.Body)
			reply(w, out, err)
			return
		}
		k, ok := byName[name]
		if !ok {
			reply(w, nil, fmt.Errorf("no kind %q: %w", name, localapi.ErrBadRequest))
			return
		}
		switch r.Method {
		case http.MethodPut:
			out, err := k.put(ctx, id, r.Body)
			reply(w, out, err)
		case http.MethodGet:
			out, err := k.get(ctx, id)
			reply(w, out, err)
		case http.MethodDelete:
			reply(w, localapi.None{}, k.del(ctx, id))
		default:
			w.Header().Set("Allow", "GET, PUT, DELETE, POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		}
	})
	return mux
}

// reply answers v, or err as a localapi.Failure.
func reply(w http.ResponseWriter, v any, err error) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		code, f := localapi.FailureOf(err)
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(f)
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a request's JSON body into v, refusing unknown fields.
func decode(body io.Reader, v any) error {
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return err
		}
		return fmt.Errorf("%w: %v", localapi.ErrBadRequest, err)
	}
	return nil
}
