// 单元未建网格党小组: uncovered units (inside the scope) of buildings that some of their units'
// groups cover, while the building, its complex and its area are not covered (see
// building_without_party_group). Population: the units inside the scope.
// Parameters: $coveringKinds, $streets / $communities.
MATCH (u:StairwellUnit)
WHERE ($streets IS NULL OR u.streetId IN $streets) AND ($communities IS NULL OR u.communityId IN $communities)
RETURN u.communityId AS community, count(*) AS population, [] AS findings
UNION ALL
MATCH (b:Building)
WHERE ($streets IS NULL OR b.streetId IN $streets) AND ($communities IS NULL OR b.communityId IN $communities)
  AND NOT EXISTS { (o:PartyOrg)-[:COVERS]->(b) WHERE o.kind IN $coveringKinds }
  AND NOT EXISTS { (b)-[:PART_OF]->(:Complex|Area)<-[:COVERS]-(o:PartyOrg) WHERE o.kind IN $coveringKinds }
  AND NOT EXISTS { (b)-[:PART_OF]->(:Complex|Area)-[:PART_OF]->(:Complex|Area)<-[:COVERS]-(o:PartyOrg)
                   WHERE o.kind IN $coveringKinds }
  AND EXISTS { (u:StairwellUnit)-[:PART_OF]->(b)
               WHERE EXISTS { (o:PartyOrg)-[:COVERS]->(u) WHERE o.kind IN $coveringKinds } }
WITH b, COLLECT { MATCH (u:StairwellUnit)-[:PART_OF]->(b) RETURN u } AS units
WITH b, units, [u IN units WHERE EXISTS { (o:PartyOrg)-[:COVERS]->(u) WHERE o.kind IN $coveringKinds }] AS covered
WHERE size(covered) < size(units)
UNWIND units AS u
WITH b, u, covered
WHERE NOT u IN covered
  AND ($streets IS NULL OR u.streetId IN $streets) AND ($communities IS NULL OR u.communityId IN $communities)
RETURN null AS community, 0 AS population,
       collect({id: u.id, kind: 'StairwellUnit', label: u.name, communityId: u.communityId, streetId: u.streetId,
                gridId: u.id, facts: {building: b.id, coveredSiblings: size(covered)}}) AS findings
