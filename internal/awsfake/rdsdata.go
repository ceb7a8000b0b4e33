package awsfake

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// The RDS Data API of the fake: ExecuteStatement on a cluster whose HTTP
// endpoint is enabled, with a Secrets Manager secret of the fake, running
// only the statements bulwark sends (a liveness query and the read of the
// service's writes table, images/shop). It says so for any other.

type dataField struct {
	LongValue   *int64  `json:"longValue,omitempty"`
	StringValue *string `json:"stringValue,omitempty"`
	IsNull      *bool   `json:"isNull,omitempty"`
}

type dataParameter struct {
	Name  string    `json:"name"`
	Value dataField `json:"value"`
}

type executeStatementRequest struct {
	ResourceArn string          `json:"resourceArn"`
	SecretArn   string          `json:"secretArn"`
	SQL         string          `json:"sql"`
	Database    string          `json:"database"`
	Parameters  []dataParameter `json:"parameters"`
}

type executeStatementResult struct {
	Records                [][]dataField `json:"records"`
	NumberOfRecordsUpdated int64         `json:"numberOfRecordsUpdated"`
}

var (
	// the statements the fake runs, whitespace and case aside
	selectOne    = regexp.MustCompile(`^select 1;?$`)
	selectWrites = regexp.MustCompile(`^select seq from writes where seq between :(\w+) and :(\w+)( order by seq)?;?$`)
)

// rdsData serves the RDS Data API (REST-JSON, POST /Execute). Its errors
// are those the API reference lists
// (https://docs.aws.amazon.com/rdsdataservice/latest/APIReference/API_ExecuteStatement.html),
// and its limits those of the Aurora User Guide: queries run on the
// cluster's writer instance only, so a global database's secondary answers
// none until it is promoted
// (https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.limitations.html).
func (c *Cloud) rdsData(region, action string, body []byte) (any, *apiError) {
	if action != "ExecuteStatement" {
		return nil, errorf(http.StatusBadRequest, "BadRequestException", "The fake does not serve the RDS Data API's %s.", action)
	}
	var req executeStatementRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, errorf(http.StatusBadRequest, "BadRequestException", "%v", err)
	}
	if req.ResourceArn == "" || req.SecretArn == "" || strings.TrimSpace(req.SQL) == "" {
		return nil, errorf(http.StatusBadRequest, "BadRequestException", "resourceArn, secretArn and sql are required.")
	}
	now := c.now()
	c.settleRestores(now)
	d := c.clusterByARN(region, req.ResourceArn)
	if d == nil {
		return nil, errorf(http.StatusNotFound, "NotFoundException", "The resourceArn, secretArn, or transactionId value can't be found: %s.", req.ResourceArn)
	}
	if !d.HTTPEndpoint {
		return nil, errorf(http.StatusBadRequest, "HttpEndpointNotEnabledException", "HTTP endpoint for using RDS Data API is not enabled for DB cluster %s.", d.Identifier)
	}
	if s := c.secret(region, req.SecretArn); s == nil || s.ARN != req.SecretArn {
		return nil, errorf(http.StatusNotFound, "NotFoundException", "The resourceArn, secretArn, or transactionId value can't be found: %s.", req.SecretArn)
	}
	if err := c.dataAPIWriter(d, now); err != nil {
		return nil, err
	}
	sql := strings.ToLower(strings.Join(strings.Fields(req.SQL), " "))
	if selectOne.MatchString(sql) {
		one := int64(1)
		return executeStatementResult{Records: [][]dataField{{{LongValue: &one}}}}, nil
	}
	m := selectWrites.FindStringSubmatch(sql)
	if m == nil {
		return nil, errorf(http.StatusBadRequest, "DatabaseErrorException", "The fake runs only SELECT 1 and SELECT seq FROM writes WHERE seq BETWEEN :a AND :b, not %q.", req.SQL)
	}
	bounds := map[string]int64{}
	for _, p := range req.Parameters {
		if p.Value.LongValue != nil {
			bounds[strings.ToLower(p.Name)] = *p.Value.LongValue
		}
	}
	from, okFrom := bounds[m[1]]
	to, okTo := bounds[m[2]]
	if !okFrom || !okTo {
		return nil, errorf(http.StatusBadRequest, "DatabaseErrorException", "ERROR: there is no parameter :%s or :%s (a longValue); SQLState: 42P02", m[1], m[2])
	}
	if d.rows == nil {
		// the service makes its table on its first write (images/shop)
		return nil, errorf(http.StatusBadRequest, "DatabaseErrorException", "ERROR: relation \"writes\" does not exist\n  Position: 17; SQLState: 42P01")
	}
	out := executeStatementResult{Records: [][]dataField{}}
	for _, seq := range d.visible(from, to, now) {
		v := seq
		out.Records = append(out.Records, []dataField{{LongValue: &v}})
	}
	return out, nil
}

// dataAPIWriter is the error the Data API answers when the cluster has no
// writer instance to run a statement on.
func (c *Cloud) dataAPIWriter(d *DBCluster, now time.Time) *apiError {
	if g := c.globalOf(d); g != nil {
		c.advance(g, now)
		if !c.isWriter(g, d) || g.Status != GlobalAvailable {
			return errorf(http.StatusGatewayTimeout, "DatabaseUnavailableException", "The writer instance in the DB cluster isn't available.")
		}
		return nil
	}
	if d.status(now) != DBAvailable || len(d.instances) == 0 {
		return errorf(http.StatusNotFound, "DatabaseNotFoundException", "The DB cluster doesn't have a DB instance.")
	}
	if !d.hasAvailableInstance(now) {
		return errorf(http.StatusGatewayTimeout, "DatabaseUnavailableException", "The writer instance in the DB cluster isn't available.")
	}
	return nil
}
