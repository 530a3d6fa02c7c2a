// 需求超期未认领: OPEN needs opened before $openedBefore. gridId: the grid it was raised in (smallest
// id), else the unit of the household that raised it (smallest ids).
// Parameters: $openedBefore, $days, $asOf, $streets / $communities.
MATCH (n:Need)
WHERE n.status = 'OPEN'
  AND ($streets IS NULL OR n.streetId IN $streets) AND ($communities IS NULL OR n.communityId IN $communities)
WITH n, coalesce(n.openedDate < $openedBefore, false) AS bad
WITH n.communityId AS community, count(*) AS population, collect(CASE WHEN bad THEN n END) AS offenders
CALL (offenders) {
  UNWIND offenders AS n
  RETURN collect({id: n.id, kind: 'Need', label: n.title, communityId: n.communityId, streetId: n.streetId,
                  gridId: coalesce(
                    head(COLLECT { MATCH (n)-[:RAISED_IN]->(g:Community|Area|Complex|Building|StairwellUnit)
                                   RETURN g.id AS id ORDER BY id LIMIT 1 }),
                    head(COLLECT { MATCH (n)-[:RAISED_BY]->(h:Household) WITH h ORDER BY h.id LIMIT 1
                                   MATCH (h)-[:IN_UNIT]->(u:StairwellUnit) RETURN u.id AS id ORDER BY id LIMIT 1 })),
                  facts: {openedDate: toString(n.openedDate), daysOpen: duration.inDays(n.openedDate, $asOf).days,
                          limit: $days}}) AS findings
}
RETURN community, population, findings
