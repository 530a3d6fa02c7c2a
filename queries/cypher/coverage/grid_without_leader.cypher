// 网格无网格长: grids of the kinds $kinds (one row per listed kind, as listed) with no Member -[:LEADS_GRID]->.
// Parameters: $kinds, $streets / $communities.
MATCH (g:Grid)
WHERE ($streets IS NULL OR g.streetId IN $streets) AND ($communities IS NULL OR g.communityId IN $communities)
UNWIND [k IN $kinds WHERE k IN labels(g)] AS kind
WITH g, kind, NOT EXISTS { (:Member)-[:LEADS_GRID]->(g) } AS bad
WITH g.communityId AS community, count(*) AS population,
     collect(CASE WHEN bad THEN
       {id: g.id, kind: kind, label: g.name, communityId: g.communityId, streetId: g.streetId, gridId: g.id,
        facts: {level: {Community: 'COMMUNITY', Area: 'AREA', Complex: 'COMPLEX', Building: 'BUILDING',
                        StairwellUnit: 'STAIRWELL_UNIT'}[kind]}} END) AS findings
RETURN community, population, findings
