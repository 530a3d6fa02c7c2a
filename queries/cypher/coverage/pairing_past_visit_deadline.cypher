// 结对帮扶超期未走访: ACTIVE pairings whose last visit (or start) is before the cut-off of the
// household's risk tier (GENERAL without a household or with an unknown tier); the household is the
// smallest id.
// Parameters: $cutoffs, $deadlineDays (maps by tier), $asOf, $streets / $communities.
MATCH (p:Pairing)
WHERE p.status = 'ACTIVE'
  AND ($streets IS NULL OR p.streetId IN $streets) AND ($communities IS NULL OR p.communityId IN $communities)
WITH p, head(COLLECT { MATCH (p)-[:FOR_HOUSEHOLD]->(h:Household) RETURN h ORDER BY h.id LIMIT 1 }) AS h
WITH p, h, CASE WHEN h.riskTier IN keys($cutoffs) THEN h.riskTier ELSE 'GENERAL' END AS tier,
     coalesce(p.lastVisitDate, p.since) AS last
WITH p, h, tier, last, NOT coalesce(last >= $cutoffs[tier], false) AS bad
WITH p.communityId AS community, count(*) AS population,
     collect(CASE WHEN bad THEN {p: p, h: h, tier: tier, last: last} END) AS offenders
CALL (offenders) {
  UNWIND offenders AS o
  WITH o.p AS p, o.h AS h, o.tier AS tier, o.last AS last
  RETURN collect({id: p.id, kind: 'Pairing', label: p.id, communityId: p.communityId, streetId: p.streetId,
                  gridId: head(COLLECT { MATCH (h)-[:IN_UNIT]->(u:StairwellUnit)
                                         RETURN u.id AS id ORDER BY id LIMIT 1 }),
                  facts: {household: h.id, riskTier: tier, deadlineDays: $deadlineDays[tier],
                          lastVisitDate: toString(p.lastVisitDate), since: toString(p.since),
                          daysOver: duration.inDays(last, $asOf).days - $deadlineDays[tier]}}) AS findings
}
RETURN community, population, findings
