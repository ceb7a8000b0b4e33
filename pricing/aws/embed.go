package awsprices

import "embed"

// Extract holds <offerCode>/<regionCode>.json, as internal/pricing.Load's
// folder does.
//
//go:embed */*.json
var Extract embed.FS

// Name is how messages and bills name the embedded extract.
const Name = "pricing/aws (built in)"
