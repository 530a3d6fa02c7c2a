// 困难户无结对党员: households in one of $categories with no ACTIVE pairing.
// Parameters: $categories, $streets / $communities.
MATCH (h:Household)
WHERE ($streets IS NULL OR h.streetId IN $streets) AND ($communities IS NULL OR h.communityId IN $communities)
  AND any(c IN h.careCategories WHERE c IN $categories)
WITH h, NOT EXISTS { (p:Pairing)-[:FOR_HOUSEHOLD]->(h) WHERE p.status = 'ACTIVE' } AS bad
WITH h.communityId AS community, count(*) AS population, collect(CASE WHEN bad THEN h END) AS offenders
CALL (offenders) {
  UNWIND offenders AS h
  RETURN collect({id: h.id, kind: 'Household', label: h.id, communityId: h.communityId, streetId: h.streetId,
                  gridId: head(COLLECT { MATCH (h)-[:IN_UNIT]->(u:StairwellUnit)
                                         RETURN u.id AS id ORDER BY id LIMIT 1 }),
                  facts: {}}) AS findings
}
RETURN community, population, findings
