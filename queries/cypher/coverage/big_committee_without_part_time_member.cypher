// 大党委无兼职委员: BIG_COMMITTEE organisations with no member PART_TIME_MEMBER_OF them who
// represents a joint-building unit (the Party head of a resident unit).
// Parameters: $streets / $communities.
MATCH (o:PartyOrg)
WHERE o.kind = 'BIG_COMMITTEE'
  AND ($streets IS NULL OR o.streetId IN $streets) AND ($communities IS NULL OR o.communityId IN $communities)
WITH o, NOT EXISTS { (:JointUnit)<-[:REPRESENTS]-(:Member)-[:PART_TIME_MEMBER_OF]->(o) } AS bad
WITH o.communityId AS community, count(*) AS population,
     collect(CASE WHEN bad THEN {id: o.id, kind: 'PartyOrg', label: o.name, communityId: o.communityId,
                                 streetId: o.streetId, gridId: null, facts: {}} END) AS findings
RETURN community, population, findings
