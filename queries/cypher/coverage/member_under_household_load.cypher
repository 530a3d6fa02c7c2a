// 结对党员帮扶户数不足: members with any pairing, not born on or before $exemptBornOnOrBefore, with
// fewer distinct households in ACTIVE pairings than $minHouseholds. gridId: the unit of the member's home (smallest ids).
// Parameters: $minHouseholds, $exemptBornOnOrBefore, $streets / $communities.
MATCH (m:Member)
WHERE ($streets IS NULL OR m.streetId IN $streets) AND ($communities IS NULL OR m.communityId IN $communities)
  AND EXISTS { (:Pairing)-[:BY_MEMBER]->(m) } AND NOT coalesce(m.birthDate <= $exemptBornOnOrBefore, false)
WITH m, COUNT { MATCH (p:Pairing)-[:BY_MEMBER]->(m) WHERE p.status = 'ACTIVE'
                MATCH (p)-[:FOR_HOUSEHOLD]->(h:Household) RETURN DISTINCT h } AS active
WITH m.communityId AS community, count(*) AS population,
     collect(CASE WHEN active < $minHouseholds THEN {m: m, active: active} END) AS offenders
CALL (offenders) {
  UNWIND offenders AS o
  WITH o.m AS m, o.active AS active
  RETURN collect({id: m.id, kind: 'Member', label: m.name, communityId: m.communityId, streetId: m.streetId,
                  gridId: head(COLLECT { MATCH (m)-[:LIVES_IN]->(h:Household) WITH h ORDER BY h.id LIMIT 1
                                         MATCH (h)-[:IN_UNIT]->(u:StairwellUnit)
                                         RETURN u.id AS id ORDER BY id LIMIT 1 }),
                  facts: {households: active, minimum: $minHouseholds}}) AS findings
}
RETURN community, population, findings
