// 社区党群服务中心不达标: communities whose service centre is smaller than $minAreaSqm, or unknown.
// Parameters: $minAreaSqm, $streets / $communities.
MATCH (c:Community)
WHERE ($streets IS NULL OR c.streetId IN $streets) AND ($communities IS NULL OR c.communityId IN $communities)
WITH c.communityId AS community, count(*) AS population,
     collect(CASE WHEN coalesce(c.serviceCenterAreaSqm < $minAreaSqm, true)
                  THEN {id: c.id, kind: 'Community', label: c.name, communityId: c.communityId, streetId: c.streetId,
                        gridId: c.id, facts: {areaSqm: c.serviceCenterAreaSqm, minimum: $minAreaSqm}} END) AS findings
RETURN community, population, findings
