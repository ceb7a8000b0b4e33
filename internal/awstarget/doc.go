// Package awstarget is the aws target's seam: Target implements
// target.Target for environments whose target is aws. It configures the
// engine for pulumi-aws, gives the orchestrator the canary's bake (target
// health and CloudWatch), the images to roll back to, blue-green and the
// databases' application users; it runs the drill scenarios (one file
// each, scenario_*.go, registered by name), reads status from CloudWatch,
// checks plans against AWS's API constraints (internal/awsconstraints),
// knows which pulumi-aws inputs replace a resource, and releases golden
// images (internal/imagerelease). Everything it does on AWS goes through
// internal/awsrunbook (aws-sdk-go-v2), on the resources modules/aws
// declared and tagged.
//
// It is not the aws target's resources (modules/aws) nor its API calls
// (internal/awsrunbook): it composes them into what the operations need.
package awstarget
