// Matching input, mode "pairings" (graph_api/domain/matching.py): households in one of $categories
// without an ACTIVE pairing against members below the exempt age, not MOBILE, with a home, helping
// fewer than $maxHouseholds distinct households through ACTIVE pairings.
// Twin of graph_api/store/embedded/matching.py. One row per demand or supply: (kind, id, row, path).
// path: grid ids from the stairwell unit (a household's own, a member's home's; smallest ids) up to
// the community, each step the parent of the next level up with the smallest id, stopping before
// the first grid outside the scope.
// Parameters: $categories, $exemptBornOnOrBefore, $maxHouseholds, $streets / $communities.
CALL () {
  MATCH (h:Household)
  WHERE ($streets IS NULL OR h.streetId IN $streets) AND ($communities IS NULL OR h.communityId IN $communities)
    AND any(c IN h.careCategories WHERE c IN $categories)
    AND NOT EXISTS { (p:Pairing)-[:FOR_HOUSEHOLD]->(h) WHERE p.status = 'ACTIVE' }
  RETURN 'Household' AS kind, h.id AS id,
         {label: h.id, communityId: h.communityId, streetId: h.streetId, care: h.careCategories} AS row,
         head(COLLECT { MATCH (h)-[:IN_UNIT]->(u:StairwellUnit) RETURN u ORDER BY u.id LIMIT 1 }) AS g0
  UNION ALL
  MATCH (m:Member)
  WHERE ($streets IS NULL OR m.streetId IN $streets) AND ($communities IS NULL OR m.communityId IN $communities)
    AND coalesce(m.category <> 'MOBILE', true) AND NOT coalesce(m.birthDate <= $exemptBornOnOrBefore, false)
    AND EXISTS { (m)-[:LIVES_IN]->(:Household) }
  WITH m, COUNT { MATCH (p:Pairing)-[:BY_MEMBER]->(m) WHERE p.status = 'ACTIVE'
                  MATCH (p)-[:FOR_HOUSEHOLD]->(h:Household) RETURN DISTINCT h } AS households
  WHERE $maxHouseholds - households > 0
  RETURN 'Member' AS kind, m.id AS id,
         {label: m.name, communityId: m.communityId, streetId: m.streetId, capacity: $maxHouseholds - households,
          items: coalesce(m.serviceItems, []), offeredBy: ['Member', m.id],
          serves: [c IN [m.communityId] WHERE c IS NOT NULL], households: households} AS row,
         head(COLLECT { MATCH (m)-[:LIVES_IN]->(h:Household) WITH h ORDER BY h.id LIMIT 1
                        MATCH (h)-[:IN_UNIT]->(u:StairwellUnit) RETURN u ORDER BY u.id LIMIT 1 }) AS g0
}
WITH kind, id, row, g0,
     CASE WHEN g0 IS NULL THEN -1 WHEN g0:Community THEN 0 WHEN g0:Area THEN 1 WHEN g0:Complex THEN 2
          WHEN g0:Building THEN 3 ELSE 4 END AS r0,
     ['Community', 'Area', 'Complex', 'Building', 'StairwellUnit'] AS kinds
WITH kind, id, row, g0, r0, kinds,
     head(COLLECT { MATCH (g0)-[:PART_OF]->(p) WHERE r0 >= 1 AND kinds[r0 - 1] IN labels(p)
                    RETURN p ORDER BY p.id LIMIT 1 }) AS g1
WITH kind, id, row, g0, r0, kinds, g1,
     head(COLLECT { MATCH (g1)-[:PART_OF]->(p) WHERE r0 >= 2 AND kinds[r0 - 2] IN labels(p)
                    RETURN p ORDER BY p.id LIMIT 1 }) AS g2
WITH kind, id, row, g0, r0, kinds, g1, g2,
     head(COLLECT { MATCH (g2)-[:PART_OF]->(p) WHERE r0 >= 3 AND kinds[r0 - 3] IN labels(p)
                    RETURN p ORDER BY p.id LIMIT 1 }) AS g3
WITH kind, id, row, [g0, g1, g2, g3,
                     head(COLLECT { MATCH (g3)-[:PART_OF]->(p) WHERE r0 >= 4 AND kinds[r0 - 4] IN labels(p)
                                    RETURN p ORDER BY p.id LIMIT 1 })] AS chain
RETURN kind, id, row,
       reduce(acc = {path: [], open: true}, g IN chain |
         CASE WHEN acc.open AND g IS NOT NULL
                   AND ($streets IS NULL OR coalesce(g.streetId IN $streets, false))
                   AND ($communities IS NULL OR coalesce(g.communityId IN $communities, false))
              THEN {path: acc.path + [g.id], open: true}
              ELSE {path: acc.path, open: false} END).path AS path
