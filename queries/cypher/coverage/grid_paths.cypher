// Each grid of $ids (the first kind in Community, Area, Complex, Building, StairwellUnit order that
// has the id) and its ancestors up to its community, nearest first: at each step the parent of the
// next level up with the smallest id; the path stops before the first grid outside the scope.
// Parameters: $ids, $streets / $communities. Returns (id, path) for paths that are not empty.
WITH ['Community', 'Area', 'Complex', 'Building', 'StairwellUnit'] AS kinds
UNWIND $ids AS gid
CALL (gid) {
  MATCH (g:Community {id: gid}) RETURN g, 0 AS rank
  UNION ALL
  MATCH (g:Area {id: gid}) RETURN g, 1 AS rank
  UNION ALL
  MATCH (g:Complex {id: gid}) RETURN g, 2 AS rank
  UNION ALL
  MATCH (g:Building {id: gid}) RETURN g, 3 AS rank
  UNION ALL
  MATCH (g:StairwellUnit {id: gid}) RETURN g, 4 AS rank
}
WITH kinds, gid, g, rank ORDER BY rank
WITH kinds, gid, head(collect({g: g, rank: rank})) AS start
WITH kinds, gid, start.g AS g0, start.rank AS r0
WITH kinds, gid, g0, r0, head(COLLECT { MATCH (g0)-[:PART_OF]->(p) WHERE r0 >= 1 AND kinds[r0 - 1] IN labels(p)
                                        RETURN p ORDER BY p.id LIMIT 1 }) AS g1
WITH kinds, gid, g0, r0, g1, head(COLLECT { MATCH (g1)-[:PART_OF]->(p) WHERE r0 >= 2 AND kinds[r0 - 2] IN labels(p)
                                            RETURN p ORDER BY p.id LIMIT 1 }) AS g2
WITH kinds, gid, g0, r0, g1, g2, head(COLLECT { MATCH (g2)-[:PART_OF]->(p) WHERE r0 >= 3 AND kinds[r0 - 3] IN labels(p)
                                                RETURN p ORDER BY p.id LIMIT 1 }) AS g3
WITH kinds, gid, r0, [g0, g1, g2, g3,
                      head(COLLECT { MATCH (g3)-[:PART_OF]->(p) WHERE r0 >= 4 AND kinds[r0 - 4] IN labels(p)
                                     RETURN p ORDER BY p.id LIMIT 1 })] AS chain
WITH gid, reduce(acc = {path: [], open: true}, i IN range(0, 4) |
       CASE WHEN acc.open AND chain[i] IS NOT NULL
                 AND ($streets IS NULL OR coalesce(chain[i].streetId IN $streets, false))
                 AND ($communities IS NULL OR coalesce(chain[i].communityId IN $communities, false))
            THEN {path: acc.path + [{kind: kinds[r0 - i], id: chain[i].id, name: chain[i].name}], open: true}
            ELSE {path: acc.path, open: false} END) AS walked
WHERE size(walked.path) > 0
RETURN gid AS id, walked.path AS path
