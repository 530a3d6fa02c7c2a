// 项目认领后未承接需求: CLAIMED or IN_PROGRESS projects with a planned capacity above 0, claimed
// before $claimedBefore, meeting no need. gridId: where it is located (smallest id).
// Parameters: $claimedBefore, $asOf, $streets / $communities.
MATCH (p:Project)
WHERE p.status IN ['CLAIMED', 'IN_PROGRESS'] AND p.plannedCapacity > 0
  AND ($streets IS NULL OR p.streetId IN $streets) AND ($communities IS NULL OR p.communityId IN $communities)
WITH p, coalesce(p.claimedDate < $claimedBefore, false) AND NOT EXISTS { (p)-[:MEETS]->(:Need) } AS bad
WITH p.communityId AS community, count(*) AS population, collect(CASE WHEN bad THEN p END) AS offenders
CALL (offenders) {
  UNWIND offenders AS p
  RETURN collect({id: p.id, kind: 'Project', label: p.title, communityId: p.communityId, streetId: p.streetId,
                  gridId: head(COLLECT { MATCH (p)-[:LOCATED_IN]->(g:Community|Area|Complex|Building|StairwellUnit)
                                         RETURN g.id AS id ORDER BY id LIMIT 1 }),
                  facts: {claimedDate: toString(p.claimedDate), plannedCapacity: p.plannedCapacity,
                          daysClaimed: duration.inDays(p.claimedDate, $asOf).days}}) AS findings
}
RETURN community, population, findings
