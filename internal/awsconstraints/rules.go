package awsconstraints

// rules are every rule of the suite, by service.
var rules = concat(crossRegionRules, elbRules, route53Rules, cloudwatchRules, rdsRules, backupRules, computeRules, serviceRules, degradeRules)

func concat(groups ...[]Rule) []Rule {
	var out []Rule
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
