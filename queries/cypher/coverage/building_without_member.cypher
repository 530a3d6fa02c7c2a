// 楼栋无党员居住或服务: no member lives in the building's households, none leads the building or a unit.
// Parameters: $streets / $communities.
MATCH (b:Building)
WHERE ($streets IS NULL OR b.streetId IN $streets) AND ($communities IS NULL OR b.communityId IN $communities)
WITH b,
     NOT EXISTS { (:Member)-[:LEADS_GRID]->(b) }
     AND NOT EXISTS { (:Member)-[:LEADS_GRID]->(:StairwellUnit)-[:PART_OF]->(b) }
     AND NOT EXISTS { (:Member)-[:LIVES_IN]->(:Household)-[:IN_UNIT]->(:StairwellUnit)-[:PART_OF]->(b) } AS bad
WITH b.communityId AS community, count(*) AS population, collect(CASE WHEN bad THEN b END) AS offenders
CALL (offenders) {
  UNWIND offenders AS b
  RETURN collect({id: b.id, kind: 'Building', label: b.name, communityId: b.communityId, streetId: b.streetId,
                  gridId: b.id,
                  facts: {units: COUNT { (:StairwellUnit)-[:PART_OF]->(b) },
                          households: COUNT { (:Household)-[:IN_UNIT]->(:StairwellUnit)-[:PART_OF]->(b) }}}) AS findings
}
RETURN community, population, findings
