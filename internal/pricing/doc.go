// Package pricing reads AWS Price List offer files (the bulk JSON AWS
// publishes per service and region: formatVersion, offerCode,
// publicationDate, products by SKU with their attributes, and terms
// OnDemand by SKU with their price dimensions) from a folder laid out as
// <dir>/<offerCode>/<regionCode>.json (global.json for Route 53 and
// CloudFront), and answers the on-demand rates bulwark's cost model asks
// for by name: an EC2 instance hour, a GB-month of gp3, an Aurora I/O
// million, a replicated DynamoDB write, an inter-region GB, and so on.
//
// Load reads and checks every file once and indexes its products; a
// lookup matches products by productFamily and AWS's own attribute names
// and values (instanceType, operatingSystem "Linux", tenancy "Shared",
// usagetype with or without its region prefix, ...) and returns a Rate:
// the price per unit of the first paid tier, the SKU, and the file it came
// from. A file that is not valid JSON or not an offer file is an error
// wrapping ErrPriceFile that names the file (and the line and column of a
// syntax error); a rate the files do not hold is an error wrapping
// ErrNoPrice that names the offer, the region, what was matched and the
// file.
//
// The project ships a small, dated extract in pricing/aws (see its
// README.md: where it came from and when); a team points bulwark at its
// own copy of AWS's files.
//
// It is not the cost model: it knows no usage, adds nothing up and makes
// no totals, and it never talks to the network (no Price List API calls,
// no downloads). Reserved, Savings Plans and spot prices are not read.
package pricing
