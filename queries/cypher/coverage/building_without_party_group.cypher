// 楼栋未建网格党小组: buildings that no organisation of $coveringKinds covers, neither themselves, their
// complex or area (up to two PART_OF steps through complexes and areas), nor any of their units.
// Parameters: $coveringKinds, $streets / $communities (the caller's scope; null = all).
// Returns rows (community, population, findings), as every coverage query.
MATCH (b:Building)
WHERE ($streets IS NULL OR b.streetId IN $streets) AND ($communities IS NULL OR b.communityId IN $communities)
WITH b,
     NOT EXISTS { (o:PartyOrg)-[:COVERS]->(b) WHERE o.kind IN $coveringKinds }
     AND NOT EXISTS { (b)-[:PART_OF]->(:Complex|Area)<-[:COVERS]-(o:PartyOrg) WHERE o.kind IN $coveringKinds }
     AND NOT EXISTS { (b)-[:PART_OF]->(:Complex|Area)-[:PART_OF]->(:Complex|Area)<-[:COVERS]-(o:PartyOrg)
                      WHERE o.kind IN $coveringKinds }
     AND NOT EXISTS { (u:StairwellUnit)-[:PART_OF]->(b)
                      WHERE EXISTS { (o:PartyOrg)-[:COVERS]->(u) WHERE o.kind IN $coveringKinds } } AS bad
WITH b.communityId AS community, count(*) AS population, collect(CASE WHEN bad THEN b END) AS offenders
CALL (offenders) {
  UNWIND offenders AS b
  RETURN collect({id: b.id, kind: 'Building', label: b.name, communityId: b.communityId, streetId: b.streetId,
                  gridId: b.id, facts: {units: COUNT { (:StairwellUnit)-[:PART_OF]->(b) }}}) AS findings
}
RETURN community, population, findings
