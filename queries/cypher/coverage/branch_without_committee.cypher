// 支部未设支委会: BRANCH organisations with at least $committeeFrom members and hasBranchCommittee not true.
// Parameters: $committeeFrom, $streets / $communities.
MATCH (o:PartyOrg)
WHERE o.kind = 'BRANCH'
  AND ($streets IS NULL OR o.streetId IN $streets) AND ($communities IS NULL OR o.communityId IN $communities)
WITH o, COUNT { (:Member)-[:MEMBER_OF]->(o) } AS members
WITH o.communityId AS community, count(*) AS population,
     collect(CASE WHEN members >= $committeeFrom AND coalesce(o.hasBranchCommittee <> true, true)
                  THEN {id: o.id, kind: 'PartyOrg', label: o.name, communityId: o.communityId, streetId: o.streetId,
                        gridId: null, facts: {members: members}} END) AS findings
RETURN community, population, findings
