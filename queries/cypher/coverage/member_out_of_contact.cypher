// 党员失联: members last contacted before $contactBefore, or never.
// Parameters: $contactBefore, $months, $streets / $communities.
MATCH (m:Member)
WHERE ($streets IS NULL OR m.streetId IN $streets) AND ($communities IS NULL OR m.communityId IN $communities)
WITH m, coalesce(m.lastContactDate < $contactBefore, true) AS bad
WITH m.communityId AS community, count(*) AS population, collect(CASE WHEN bad THEN m END) AS offenders
CALL (offenders) {
  UNWIND offenders AS m
  RETURN collect({id: m.id, kind: 'Member', label: m.name, communityId: m.communityId, streetId: m.streetId,
                  gridId: head(COLLECT { MATCH (m)-[:LIVES_IN]->(h:Household) WITH h ORDER BY h.id LIMIT 1
                                         MATCH (h)-[:IN_UNIT]->(u:StairwellUnit)
                                         RETURN u.id AS id ORDER BY id LIMIT 1 }),
                  facts: {lastContactDate: toString(m.lastContactDate), months: $months}}) AS findings
}
RETURN community, population, findings
