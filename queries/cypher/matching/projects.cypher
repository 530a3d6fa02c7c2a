// Matching input, mode "projects" (graph_api/domain/matching.py): OPEN needs against resources
// valid at $asOf with capacity left and members who claimed 红色驿站 service items.
// Twin of graph_api/store/embedded/matching.py. One row per demand or supply: (kind, id, row, path).
// path: grid ids from where it is (a need: the unit of the household that raised it, else the grid
// it was raised in; a resource: the grid it is based in; a member: the unit of their home; smallest
// ids) up to the community, each step the parent of the next level up with the smallest id,
// stopping before the first grid outside the scope.
// Parameters: $asOf, $exemptBornOnOrBefore, $memberItems, $memberCapacity, $streets / $communities.
CALL () {
  MATCH (n:Need)
  WHERE n.status = 'OPEN'
    AND ($streets IS NULL OR n.streetId IN $streets) AND ($communities IS NULL OR n.communityId IN $communities)
  RETURN 'Need' AS kind, n.id AS id,
         {label: n.title, communityId: n.communityId, streetId: n.streetId, category: n.category,
          item: n.serviceItem, quantity: n.quantity, urgency: n.urgency, opened: n.openedDate} AS row,
         coalesce(
           head(COLLECT { MATCH (n)-[:RAISED_BY]->(h:Household) WITH h ORDER BY h.id LIMIT 1
                          MATCH (h)-[:IN_UNIT]->(u:StairwellUnit) RETURN u ORDER BY u.id LIMIT 1 }),
           head(COLLECT { MATCH (n)-[:RAISED_IN]->(g:Community|Area|Complex|Building|StairwellUnit)
                          RETURN g ORDER BY g.id, CASE WHEN g:Community THEN 0 WHEN g:Area THEN 1
                                                       WHEN g:Complex THEN 2 WHEN g:Building THEN 3 ELSE 4 END
                          LIMIT 1 })) AS g0
  UNION ALL
  MATCH (r:Resource)
  WHERE ($streets IS NULL OR r.streetId IN $streets) AND ($communities IS NULL OR r.communityId IN $communities)
    AND (r.validFrom IS NULL OR r.validFrom <= $asOf) AND (r.validTo IS NULL OR r.validTo >= $asOf)
    AND coalesce(r.capacity, 0) - coalesce(r.claimed, 0) > 0
  WITH r, head(COLLECT { MATCH (r)-[:OFFERED_BY]->(o:JointUnit|Member)
                         WITH o, CASE WHEN o:JointUnit THEN 'JointUnit' ELSE 'Member' END AS k
                         RETURN {kind: k, id: o.id, node: o} AS offerer ORDER BY k, o.id LIMIT 1 }) AS offerer
  WITH r, offerer, offerer.node AS o
  RETURN 'Resource' AS kind, r.id AS id,
         {label: r.title, communityId: r.communityId, streetId: r.streetId,
          capacity: coalesce(r.capacity, 0) - coalesce(r.claimed, 0), category: r.category,
          items: coalesce(r.serviceItems, []),
          offeredBy: CASE WHEN offerer IS NULL THEN null ELSE [offerer.kind, offerer.id] END,
          serves: CASE offerer.kind
                    WHEN 'JointUnit' THEN COLLECT { MATCH (o)-[:JOINT_BUILDS_WITH]->(b:PartyOrg)
                                                    WHERE b.kind = 'BIG_COMMITTEE' AND b.communityId IS NOT NULL
                                                    RETURN DISTINCT b.communityId }
                    WHEN 'Member' THEN [c IN [o.communityId] WHERE c IS NOT NULL]
                    ELSE [] END} AS row,
         head(COLLECT { MATCH (r)-[:BASED_IN]->(g:Community|Area|Complex|Building|StairwellUnit)
                        RETURN g ORDER BY g.id, CASE WHEN g:Community THEN 0 WHEN g:Area THEN 1
                                                     WHEN g:Complex THEN 2 WHEN g:Building THEN 3 ELSE 4 END
                        LIMIT 1 }) AS g0
  UNION ALL
  MATCH (m:Member)
  WHERE ($streets IS NULL OR m.streetId IN $streets) AND ($communities IS NULL OR m.communityId IN $communities)
    AND coalesce(m.category <> 'MOBILE', true) AND NOT coalesce(m.birthDate <= $exemptBornOnOrBefore, false)
  WITH m, [i IN coalesce(m.serviceItems, []) WHERE i IN $memberItems] AS items
  WHERE size(items) > 0
  // a pattern comprehension expands from the member (a COUNT subquery may start from the project status index)
  WITH m, items, $memberCapacity - size([(m)<-[:CLAIMED_BY]-(p:Project)
                                         WHERE p.status IN ['CLAIMED', 'IN_PROGRESS'] | p.id]) AS capacity
  WHERE capacity > 0
  RETURN 'Member' AS kind, m.id AS id,
         {label: m.name, communityId: m.communityId, streetId: m.streetId, capacity: capacity, items: items,
          offeredBy: ['Member', m.id], serves: [c IN [m.communityId] WHERE c IS NOT NULL], households: 0} AS row,
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
