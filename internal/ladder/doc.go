// Package ladder is `bulwark plan --ladder`: what each step of resilience
// costs. For one service at a time (the others kept as declared) it makes
// the variants the topology could take — one region, backup and restore to
// another region, pilot light, warm standby, active-active, and the
// environment as declared — each a modified copy of the topology that the
// loader's rules accept; plans each offline under the mocks (internal/plan),
// prices each plan (through a Costing: internal/cost in the CLI, a fake in
// tests), estimates its RTO/RPO per disruption and its availability with
// the policies' assessment, and says against the environment's targets what
// each meets. It renders the ladder as a table (text, JSON) and as an SVG
// picture of cost against region-loss RTO.
//
// It is not the bill (internal/cost), the prices (internal/pricing) or the
// assessment (policies): it varies the topology and reads their figures.
// Where the assessment does not model a variant's recovery (a restore into
// another region, a pilot light's scale-up), the ladder adds the terms
// itself from the target's timings and says so in the row.
package ladder
