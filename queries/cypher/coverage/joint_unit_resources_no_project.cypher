// 共建单位有资源无项目: joint units offering resources that claimed no project from $yearStart
// to $asOf.
// Parameters: $yearStart, $asOf, $year, $streets / $communities.
MATCH (j:JointUnit)
WHERE ($streets IS NULL OR j.streetId IN $streets) AND ($communities IS NULL OR j.communityId IN $communities)
  AND EXISTS { (:Resource)-[:OFFERED_BY]->(j) }
WITH j, NOT EXISTS { (p:Project)-[:CLAIMED_BY]->(j) WHERE $yearStart <= p.claimedDate <= $asOf } AS bad
WITH j.communityId AS community, count(*) AS population,
     collect(CASE WHEN bad THEN {id: j.id, kind: 'JointUnit', label: j.name, communityId: j.communityId,
                                 streetId: j.streetId, gridId: null,
                                 facts: {resources: COUNT { (:Resource)-[:OFFERED_BY]->(j) }, year: $year}}
             END) AS findings
RETURN community, population, findings
