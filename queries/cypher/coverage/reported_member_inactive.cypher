// 报到党员一年内未认领: members reported to a community on or before $since (or on an unknown date)
// with no service item, no resource offered, no ACTIVE pairing, and no project claimed nor
// activity taken part in from $since to $asOf.
// Parameters: $since, $asOf, $days, $streets / $communities.
MATCH (m:Member)
WHERE ($streets IS NULL OR m.streetId IN $streets) AND ($communities IS NULL OR m.communityId IN $communities)
  AND EXISTS { (m)-[:REPORTED_TO]->(:Community) } AND NOT coalesce(m.reportedDate > $since, false)
WITH m,
     coalesce(size(m.serviceItems), 0) = 0
     AND NOT EXISTS { (:Resource)-[:OFFERED_BY]->(m) }
     AND NOT EXISTS { (p:Pairing)-[:BY_MEMBER]->(m) WHERE p.status = 'ACTIVE' }
     AND NOT EXISTS { (p:Project)-[:CLAIMED_BY]->(m) WHERE $since <= p.claimedDate <= $asOf }
     AND NOT EXISTS { (m)-[:TOOK_PART]->(a:Activity) WHERE $since <= a.date <= $asOf } AS bad
WITH m.communityId AS community, count(*) AS population, collect(CASE WHEN bad THEN m END) AS offenders
CALL (offenders) {
  UNWIND offenders AS m
  RETURN collect({id: m.id, kind: 'Member', label: m.name, communityId: m.communityId, streetId: m.streetId,
                  gridId: head(COLLECT { MATCH (m)-[:LIVES_IN]->(h:Household) WITH h ORDER BY h.id LIMIT 1
                                         MATCH (h)-[:IN_UNIT]->(u:StairwellUnit)
                                         RETURN u.id AS id ORDER BY id LIMIT 1 }),
                  facts: {reportedDate: toString(m.reportedDate), days: $days}}) AS findings
}
RETURN community, population, findings
