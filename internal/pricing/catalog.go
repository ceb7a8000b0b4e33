package pricing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// ErrPriceFile is wrapped by every error about a price folder or file that
// cannot be read: a missing offer folder, a file that is not valid JSON, a
// file that is not an offer file or is another offer's.
var ErrPriceFile = errors.New("bad price file")

// ErrNoPrice is wrapped by every lookup that finds no single on-demand
// price: no file for the region, no product matching, or products matching
// at different prices.
var ErrNoPrice = errors.New("no price")

// The offer codes (AWS's, as in the Price List's offer index) whose folders
// Load reads.
const (
	OfferEC2          = "AmazonEC2"
	OfferELB          = "AWSELB"
	OfferRDS          = "AmazonRDS"
	OfferDynamoDB     = "AmazonDynamoDB"
	OfferRoute53      = "AmazonRoute53"
	OfferBackup       = "AWSBackup"
	OfferCloudWatch   = "AmazonCloudWatch"
	OfferSQS          = "AWSQueueService"
	OfferCloudFront   = "AmazonCloudFront"
	OfferDataTransfer = "AWSDataTransfer"
	OfferECS          = "AmazonECS"
)

// Offers are the offer folders Load requires, in the order it reads them.
var Offers = []string{OfferEC2, OfferELB, OfferRDS, OfferDynamoDB, OfferRoute53,
	OfferBackup, OfferCloudWatch, OfferSQS, OfferCloudFront, OfferDataTransfer, OfferECS}

// Global is the region name of the offers whose prices are not per region
// (Route 53, CloudFront): their file is <offer>/global.json.
const Global = "global"

// Rate is one on-demand price per unit: the first paid tier where the
// price is tiered, scaled where the lookup says so (per million requests,
// per 10,000 requests).
type Rate struct {
	Offer       string // the offer code, e.g. AmazonEC2
	Region      string // the region code, or "global"
	SKU         string
	Unit        string // the file's unit, or the scaled one ("million IOs")
	Description string // the price dimension's description
	USD         float64
	File        string // the offer file the price came from
}

// Catalog is the loaded offer files. It is read-only after Load and safe
// for concurrent lookups.
type Catalog struct {
	dir   string
	files map[string]map[string]*offerFile // offer -> region -> file
}

type offerFile struct {
	path, offer, region, publicationDate string

	byFamily map[string][]*product

	mu  sync.Mutex
	idx map[string]map[string][]*product // family+"\x00"+attribute -> value -> products
}

type product struct {
	sku, family string
	attrs       map[string]string
	dims        []dimension // the on-demand price dimensions, by beginRange
}

type dimension struct {
	rateCode, description, unit string
	begin                       float64
	usd                         float64
}

// The JSON of an offer file, as AWS's "Reading the price list files"
// describes it; only what the lookups read is decoded.
type rawOffer struct {
	FormatVersion   string                `json:"formatVersion"`
	Disclaimer      string                `json:"disclaimer"`
	OfferCode       string                `json:"offerCode"`
	Version         string                `json:"version"`
	PublicationDate string                `json:"publicationDate"`
	Products        map[string]rawProduct `json:"products"`
	Terms           *struct {
		OnDemand map[string]map[string]rawTerm `json:"OnDemand"`
	} `json:"terms"`
}

type rawProduct struct {
	SKU           string            `json:"sku"`
	ProductFamily string            `json:"productFamily"`
	Attributes    map[string]string `json:"attributes"`
}

type rawTerm struct {
	OfferTermCode   string                  `json:"offerTermCode"`
	SKU             string                  `json:"sku"`
	EffectiveDate   string                  `json:"effectiveDate"`
	PriceDimensions map[string]rawDimension `json:"priceDimensions"`
}

type rawDimension struct {
	RateCode     string            `json:"rateCode"`
	Description  string            `json:"description"`
	BeginRange   string            `json:"beginRange"`
	EndRange     string            `json:"endRange"`
	Unit         string            `json:"unit"`
	PricePerUnit map[string]string `json:"pricePerUnit"`
}

// Load reads every offer file under dir: one folder per offer code in
// Offers, each holding <regionCode>.json files (global.json for the global
// offers). Every folder must exist; every .json file in it must be an
// offer file of that folder's offer code.
func Load(dir string) (*Catalog, error) {
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("%s: %w: the prices folder: %v", dir, ErrPriceFile, err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s: %w: the prices folder is not a folder", dir, ErrPriceFile)
	}
	return load(os.DirFS(dir), dir)
}

// LoadFS reads the offer files of fsys, laid out as Load's folder; name
// says where they are in messages and in each Rate's File (the built-in
// extract, embedded in the binary, is read this way).
func LoadFS(fsys fs.FS, name string) (*Catalog, error) { return load(fsys, name) }

func load(fsys fs.FS, dir string) (*Catalog, error) {
	c := &Catalog{dir: dir, files: map[string]map[string]*offerFile{}}
	for _, offer := range Offers {
		folder := filepath.Join(dir, offer)
		entries, err := fs.ReadDir(fsys, offer)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("%s: %w: no %s folder in %s (one folder per offer code: %s)",
					folder, ErrPriceFile, offer, dir, strings.Join(Offers, ", "))
			}
			return nil, fmt.Errorf("%s: %w: %v", folder, ErrPriceFile, err)
		}
		c.files[offer] = map[string]*offerFile{}
		for _, e := range entries {
			name := e.Name()
			if e.IsDir() || !strings.HasSuffix(name, ".json") {
				continue
			}
			data, err := fs.ReadFile(fsys, offer+"/"+name)
			if err != nil {
				return nil, fmt.Errorf("%s: %w: %v", filepath.Join(folder, name), ErrPriceFile, err)
			}
			f, err := readOffer(filepath.Join(folder, name), data, offer, strings.TrimSuffix(name, ".json"))
			if err != nil {
				return nil, err
			}
			c.files[offer][f.region] = f
		}
	}
	return c, nil
}

func readOffer(path string, data []byte, offer, region string) (*offerFile, error) {
	var raw rawOffer
	if err := json.Unmarshal(data, &raw); err != nil {
		var syn *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syn):
			line, col := position(data, syn.Offset)
			return nil, fmt.Errorf("%s:%d:%d: %w: not valid JSON: %v", path, line, col, ErrPriceFile, err)
		case errors.As(err, &typ):
			line, col := position(data, typ.Offset)
			return nil, fmt.Errorf("%s:%d:%d: %w: not an offer file: %v", path, line, col, ErrPriceFile, err)
		}
		return nil, fmt.Errorf("%s: %w: %v", path, ErrPriceFile, err)
	}
	var missing []string
	if raw.OfferCode == "" {
		missing = append(missing, "offerCode")
	}
	if raw.Products == nil {
		missing = append(missing, "products")
	}
	if raw.Terms == nil {
		missing = append(missing, "terms")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s: %w: not an offer file: no %s", path, ErrPriceFile, strings.Join(missing, ", "))
	}
	if raw.OfferCode != offer {
		return nil, fmt.Errorf("%s: %w: offerCode is %q, not %q (the folder's)", path, ErrPriceFile, raw.OfferCode, offer)
	}
	f := &offerFile{path: path, offer: offer, region: region, publicationDate: raw.PublicationDate,
		byFamily: map[string][]*product{}, idx: map[string]map[string][]*product{}}
	for key, rp := range raw.Products {
		sku := rp.SKU
		if sku == "" {
			sku = key
		}
		p := &product{sku: sku, family: rp.ProductFamily, attrs: rp.Attributes}
		terms := raw.Terms.OnDemand[sku]
		if len(terms) > 0 {
			t := latest(terms)
			for code, rd := range t.PriceDimensions {
				d, err := parseDimension(rd)
				if err != nil {
					return nil, fmt.Errorf("%s: %w: sku %s, rate %s: %v", path, ErrPriceFile, sku, code, err)
				}
				if d.rateCode == "" {
					d.rateCode = code
				}
				p.dims = append(p.dims, d)
			}
			sort.Slice(p.dims, func(i, j int) bool { return p.dims[i].begin < p.dims[j].begin })
		}
		f.byFamily[p.family] = append(f.byFamily[p.family], p)
	}
	for _, ps := range f.byFamily {
		sort.Slice(ps, func(i, j int) bool { return ps[i].sku < ps[j].sku })
	}
	return f, nil
}

// latest is the on-demand term with the latest effectiveDate (offer files
// hold one; the dates are RFC 3339 and compare as strings).
func latest(terms map[string]rawTerm) rawTerm {
	var best rawTerm
	first := true
	for _, t := range terms {
		if first || t.EffectiveDate > best.EffectiveDate {
			best, first = t, false
		}
	}
	return best
}

func parseDimension(rd rawDimension) (dimension, error) {
	usd, ok := rd.PricePerUnit["USD"]
	if !ok {
		return dimension{}, errors.New("no pricePerUnit USD")
	}
	v, err := strconv.ParseFloat(usd, 64)
	if err != nil || v < 0 {
		return dimension{}, fmt.Errorf("pricePerUnit USD %q is not a price", usd)
	}
	begin := 0.0
	if rd.BeginRange != "" {
		if begin, err = strconv.ParseFloat(rd.BeginRange, 64); err != nil {
			return dimension{}, fmt.Errorf("beginRange %q is not a number", rd.BeginRange)
		}
	}
	return dimension{rateCode: rd.RateCode, description: rd.Description, unit: rd.Unit, begin: begin, usd: v}, nil
}

// position turns a byte offset from encoding/json into a 1-based line and
// column; the offset is just past the byte in error.
func position(data []byte, offset int64) (line, col int) {
	off := int(offset)
	if off > 0 {
		off-- // the offending byte
	}
	off = min(off, len(data))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte("\n"))
	col = off - bytes.LastIndexByte(before, '\n')
	return line, col
}

// Published is each loaded file's publicationDate, keyed "<offer>/<region>"
// (AmazonEC2/us-east-1, AmazonRoute53/global), for a report's provenance.
func (c *Catalog) Published() map[string]string {
	out := map[string]string{}
	for offer, regions := range c.files {
		for region, f := range regions {
			out[offer+"/"+region] = f.publicationDate
		}
	}
	return out
}

// Dir is the folder the catalog was loaded from.
func (c *Catalog) Dir() string { return c.dir }

// candidates are the products of a family whose attribute key equals
// value, from an index built on first use.
func (f *offerFile) candidates(family, key, value string) []*product {
	if key == "" {
		return f.byFamily[family]
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	ik := family + "\x00" + key
	m, ok := f.idx[ik]
	if !ok {
		m = map[string][]*product{}
		for _, p := range f.byFamily[family] {
			if v, ok := p.attrs[key]; ok {
				m[v] = append(m[v], p)
			}
		}
		f.idx[ik] = m
	}
	return m[value]
}
