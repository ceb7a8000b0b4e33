// Package awsconstraints checks an offline plan of an aws environment
// (internal/plan) against what AWS accepts, as its API references and user
// guides state it: names (character sets, lengths, first characters,
// reserved prefixes), numeric ranges, settings that exclude each other,
// what must live in the same region, and what a global resource or a zone
// apex allows. Every rule cites the page that states it, so that a
// violation reads as "a real account would refuse this, here is where AWS
// says so".
//
// It is not an emulator of AWS and not a policy pack: it knows nothing of
// what bulwark wants (redundancy, encryption, capacity: see policies/),
// only of what AWS refuses or silently breaks, and it judges only what a
// plan shows (inputs, the mocks' computed outputs and data-source
// answers). Rules come from AWS's documentation, never from what the
// modules happen to do; a value the plan cannot know (a secret, an
// unknown output) is not judged.
//
// Check(p) runs every rule; bulwark plan prints the violations beside the
// policy verdicts and exits 1 when there are any.
package awsconstraints
