// 网格层级不合规: a grid below the community has exactly one parent one level up, its code is the
// parent's plus the level's digits and its scope keys equal the parent's; a community has exactly
// one street, the one its streetId names. Problems in the order NO_PARENT, MANY_PARENTS,
// CODE_NOT_DERIVED, SCOPE_MISMATCH. Parameters: $streets / $communities.
CALL () {
  MATCH (g:Community)
  WHERE ($streets IS NULL OR g.streetId IN $streets) AND ($communities IS NULL OR g.communityId IN $communities)
  RETURN g, 'Community' AS kind, COLLECT { MATCH (g)-[:PART_OF]->(p:Street) RETURN p } AS parents
  UNION ALL
  MATCH (g:Area)
  WHERE ($streets IS NULL OR g.streetId IN $streets) AND ($communities IS NULL OR g.communityId IN $communities)
  RETURN g, 'Area' AS kind, COLLECT { MATCH (g)-[:PART_OF]->(p:Community) RETURN p } AS parents
  UNION ALL
  MATCH (g:Complex)
  WHERE ($streets IS NULL OR g.streetId IN $streets) AND ($communities IS NULL OR g.communityId IN $communities)
  RETURN g, 'Complex' AS kind, COLLECT { MATCH (g)-[:PART_OF]->(p:Area) RETURN p } AS parents
  UNION ALL
  MATCH (g:Building)
  WHERE ($streets IS NULL OR g.streetId IN $streets) AND ($communities IS NULL OR g.communityId IN $communities)
  RETURN g, 'Building' AS kind, COLLECT { MATCH (g)-[:PART_OF]->(p:Complex) RETURN p } AS parents
  UNION ALL
  MATCH (g:StairwellUnit)
  WHERE ($streets IS NULL OR g.streetId IN $streets) AND ($communities IS NULL OR g.communityId IN $communities)
  RETURN g, 'StairwellUnit' AS kind, COLLECT { MATCH (g)-[:PART_OF]->(p:Building) RETURN p } AS parents
}
WITH g, kind, size(parents) AS parentCount, parents[0] AS p
WITH g, kind, parentCount,
     CASE
       WHEN parentCount = 0 THEN ['NO_PARENT']
       WHEN parentCount > 1 THEN ['MANY_PARENTS']
       WHEN kind = 'Community' THEN CASE WHEN coalesce(g.streetId <> p.id, true) THEN ['SCOPE_MISMATCH'] ELSE [] END
       ELSE
         CASE WHEN g.code IS NULL OR p.code IS NULL OR NOT g.code STARTS WITH p.code
                   OR size(g.code) <> size(p.code) + {Area: 2, Complex: 2, Building: 3, StairwellUnit: 2}[kind]
              THEN ['CODE_NOT_DERIVED'] ELSE [] END
         + CASE WHEN coalesce(g.communityId <> p.communityId, (g.communityId IS NULL) <> (p.communityId IS NULL))
                   OR coalesce(g.streetId <> p.streetId, (g.streetId IS NULL) <> (p.streetId IS NULL))
              THEN ['SCOPE_MISMATCH'] ELSE [] END
     END AS problems
WITH g.communityId AS community, count(*) AS population,
     collect(CASE WHEN size(problems) > 0 THEN
       {id: g.id, kind: kind, label: g.name, communityId: g.communityId, streetId: g.streetId, gridId: g.id,
        facts: {level: {Community: 'COMMUNITY', Area: 'AREA', Complex: 'COMPLEX', Building: 'BUILDING',
                        StairwellUnit: 'STAIRWELL_UNIT'}[kind],
                problems: problems, parents: parentCount}} END) AS findings
RETURN community, population, findings
