// 支部人数不合规: BRANCH organisations with fewer than $minMembers or more than $maxMembers members.
// Parameters: $minMembers, $maxMembers, $streets / $communities.
MATCH (o:PartyOrg)
WHERE o.kind = 'BRANCH'
  AND ($streets IS NULL OR o.streetId IN $streets) AND ($communities IS NULL OR o.communityId IN $communities)
WITH o, COUNT { (:Member)-[:MEMBER_OF]->(o) } AS members
WITH o.communityId AS community, count(*) AS population,
     collect(CASE WHEN members < $minMembers OR members > $maxMembers
                  THEN {id: o.id, kind: 'PartyOrg', label: o.name, communityId: o.communityId, streetId: o.streetId,
                        gridId: null, facts: {members: members, minimum: $minMembers, maximum: $maxMembers}}
             END) AS findings
RETURN community, population, findings
