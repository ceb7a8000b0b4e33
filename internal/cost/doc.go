// Package cost is the monthly bill of a plan: each AWS resource of an aws
// plan priced from AWS's own price list offer files (internal/pricing),
// with the usage a plan cannot know (requests, writes, GB moved and
// stored) from the environment's usage blocks, each line saying where its
// quantity came from. A month is 730 hours.
//
// A resource kind bulwark declares and the bill does not price is listed
// as unpriced, never counted as zero; kinds AWS does not charge for by
// themselves (a VPC, a security group, a launch template priced through
// its group) are named in freeKinds with why.
//
// The local target is priced as the same topology would cost on AWS
// (AsAWS, with its region mapping stated in the bill): Of plans it afresh
// and does not read the environment's own plan, so a caller may run it
// beside that plan.
//
// It is not an invoice: no free tier, no savings plans or reserved
// instances, no tax; on-demand prices of the offer files' date.
package cost
