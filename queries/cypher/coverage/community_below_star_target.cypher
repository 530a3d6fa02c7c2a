// 社区党组织低于争创星级: COMMUNITY_COMMITTEE organisations rated below their star target.
// Parameters: $streets / $communities.
MATCH (o:PartyOrg)
WHERE o.kind = 'COMMUNITY_COMMITTEE'
  AND ($streets IS NULL OR o.streetId IN $streets) AND ($communities IS NULL OR o.communityId IN $communities)
WITH o.communityId AS community, count(*) AS population,
     collect(CASE WHEN o.starRating < o.starTarget
                  THEN {id: o.id, kind: 'PartyOrg', label: o.name, communityId: o.communityId, streetId: o.streetId,
                        gridId: o.communityId, facts: {starRating: o.starRating, starTarget: o.starTarget}}
             END) AS findings
RETURN community, population, findings
