// The figures of the article table, computed from the graph in one query.
// Parameters: $district (district id), $streets / $communities (the caller's scope; null = all).
// Ages are whole years at each term's election date; the current term is the latest termYear.
MATCH (d:District {id: $district})
CALL (d) {
  MATCH (c:Community)-[:PART_OF]->(s:Street)-[:PART_OF]->(d)
  WHERE ($streets IS NULL OR s.id IN $streets) AND ($communities IS NULL OR c.id IN $communities)
  RETURN collect(c) AS communities, collect(DISTINCT s.id) AS streetIds
}
WITH d, communities, [c IN communities | c.id] AS communityIds, streetIds
CALL (communityIds) {
  MATCH (k:Cadre) WHERE k.communityId IN communityIds
  WITH max(k.termYear) AS currentTerm, collect(k) AS cadres
  WITH currentTerm, cadres,
       [k IN cadres WHERE k.termYear = currentTerm] AS current,
       [k IN cadres WHERE k.termYear < currentTerm] AS older
  WITH currentTerm, current, older,
       reduce(m = null, k IN older | CASE WHEN m IS NULL OR k.termYear > m THEN k.termYear ELSE m END) AS previousTerm
  WITH currentTerm, previousTerm, current, [k IN older WHERE k.termYear = previousTerm] AS previous
  WITH currentTerm, previousTerm, current, previous,
       [k IN current | duration.inMonths(k.birthDate, k.electedDate).years] AS ages,
       [k IN previous | duration.inMonths(k.birthDate, k.electedDate).years] AS previousAges
  RETURN {
    currentTerm: currentTerm,
    previousTerm: previousTerm,
    cadreCount: size(current),
    cadreAverageAge: CASE WHEN size(ages) = 0 THEN null ELSE reduce(s = 0.0, a IN ages | s + a) / size(ages) END,
    previousTermCadreCount: size(previous),
    previousTermAverageAge: CASE WHEN size(previousAges) = 0 THEN null ELSE reduce(s = 0.0, a IN previousAges | s + a) / size(previousAges) END,
    cadresUnder35: size([a IN ages WHERE a < 35]),
    cadresAssociateOrHigher: size([k IN current WHERE k.education IN ['ASSOCIATE', 'BACHELOR', 'POSTGRADUATE']]),
    cadresBachelor: size([k IN current WHERE k.education = 'BACHELOR']),
    cadresPostgraduate: size([k IN current WHERE k.education = 'POSTGRADUATE']),
    certifiedSocialWorkers: size([k IN current WHERE '助理社会工作者' IN coalesce(k.certificates, [])]),
    oneShoulderCommunities: size(reduce(seen = [], id IN [k IN current WHERE 'SECRETARY' IN coalesce(k.positions, []) AND 'DIRECTOR' IN coalesce(k.positions, []) | k.communityId] | CASE WHEN id IN seen THEN seen ELSE seen + id END))
  } AS cadreFigures
}
CALL (communityIds) {
  MATCH (g:Grid) WHERE g.communityId IN communityIds
  WITH count(DISTINCT g.level) AS levels
  OPTIONAL MATCH (o:PartyOrg {kind: 'GRID_GROUP'})-[:COVERS]->(g:Grid)
  WHERE o.communityId IN communityIds AND (g:Building OR g:StairwellUnit)
  RETURN levels, count(DISTINCT o) AS gridPartyGroups
}
CALL (d, streetIds) {
  OPTIONAL MATCH (t:Team {kind: 'ASSAULT'})-[:ORGANISED_BY]->(s:Street)-[:PART_OF]->(d)
  WHERE s.id IN streetIds
  OPTIONAL MATCH (m:Member)-[:IN_TEAM]->(t)
  WITH s, t.formedDate.year AS year, count(DISTINCT t) AS teams, count(DISTINCT m) AS members
  WHERE s IS NOT NULL
  WITH s, year, teams, members ORDER BY members DESC, s.id, year
  RETURN collect({streetId: s.id, streetName: s.name, year: year, teams: teams, members: members}) AS assaultTeams
}
CALL (communityIds) {
  OPTIONAL MATCH (sc:ServiceCarrier) WHERE sc.communityId IN communityIds
  WITH collect(sc) AS carriers
  UNWIND (CASE WHEN size(carriers) = 0 THEN [null] ELSE carriers END) AS sc
  UNWIND (CASE WHEN sc IS NULL OR size(coalesce(sc.serviceCategories, [])) = 0 THEN [null] ELSE sc.serviceCategories END) AS category
  WITH size(carriers) AS carrierCount, collect(DISTINCT category) AS categories
  RETURN carrierCount, categories
}
CALL (communityIds) {
  OPTIONAL MATCH (h:Household) WHERE h.communityId IN communityIds AND 'NEEDY_FAMILY' IN h.careCategories
  WITH h, EXISTS { (:Pairing)-[:FOR_HOUSEHOLD]->(h) } AS helped
  RETURN count(h) AS needyFamilies, count(CASE WHEN helped THEN h END) AS needyFamiliesHelped
}
CALL (communityIds) {
  OPTIONAL MATCH (h:Household) WHERE h.communityId IN communityIds AND 'STUDENT_AID' IN h.careCategories
  WITH h, EXISTS { (:Pairing {kind: 'STUDY'})-[:FOR_HOUSEHOLD]->(h) } AS aided
  RETURN count(h) AS studentAidHouseholds, count(CASE WHEN aided THEN h END) AS studentsAided
}
CALL (communityIds) {
  OPTIONAL MATCH (p:Project)-[:CLAIMED_BY]->(:JointUnit) WHERE p.communityId IN communityIds
  RETURN sum(coalesce(p.investmentYuan, 0)) AS jointInvestmentYuan,
         sum(CASE WHEN p.output = '太阳能照明灯' THEN p.outputQuantity ELSE 0 END) AS solarLights,
         sum(CASE WHEN p.output = '便民公共设施' THEN p.outputQuantity ELSE 0 END) AS convenienceFacilities,
         sum(CASE WHEN p.output = '健身器材' THEN p.outputQuantity ELSE 0 END) AS fitnessEquipment,
         [o IN collect(DISTINCT p.output) WHERE o IN ['党史宣传长廊', '文化广场']] AS repairedSites
}
CALL (communityIds) {
  OPTIONAL MATCH (p:Project)-[:CLAIMED_BY]->(o:PartyOrg)
  WHERE p.brand IS NOT NULL AND p.communityId IN communityIds
  OPTIONAL MATCH (c:Community {id: p.communityId})
  WITH p, o, c ORDER BY c.id, p.brand, p.title, o.id
  RETURN [x IN collect(CASE WHEN p IS NULL THEN null ELSE {community: c.name, organisation: o.name, brand: p.brand, title: p.title} END) WHERE x IS NOT NULL] AS claimedProjects
}
CALL (communityIds) {
  OPTIONAL MATCH (a:Activity {kind: 'DONATION'}) WHERE a.communityId IN communityIds AND a.beneficiary CONTAINS '大凉山'
  RETURN sum(coalesce(a.itemCount, 0)) AS donatedItems
}
CALL (communityIds) {
  OPTIONAL MATCH (x:Member|Person)-[t:TOOK_PART]->(a:Activity {kind: 'VOLUNTEER_LABOUR'}) WHERE a.communityId IN communityIds
  RETURN count(t) AS volunteerPersonTimes
}
RETURN {
  districtName: d.name,
  communityCount: size(communities),
  minOfficeAreaSqm: reduce(m = null, c IN communities | CASE WHEN m IS NULL OR c.officeAreaSqm < m THEN c.officeAreaSqm ELSE m END),
  communitiesWithServiceCenter: size([c IN communities WHERE coalesce(c.serviceCenterAreaSqm, 0) >= 400]),
  gridLevels: levels,
  gridPartyGroups: gridPartyGroups,
  assaultTeams: assaultTeams,
  serviceCarriers: carrierCount,
  serviceCategories: categories,
  needyFamilies: needyFamilies,
  needyFamiliesHelped: needyFamiliesHelped,
  studentAidHouseholds: studentAidHouseholds,
  studentsAided: studentsAided,
  jointInvestmentYuan: jointInvestmentYuan,
  solarLights: solarLights,
  convenienceFacilities: convenienceFacilities,
  fitnessEquipment: fitnessEquipment,
  repairedSites: repairedSites,
  claimedProjects: claimedProjects,
  donatedItems: donatedItems,
  volunteerPersonTimes: volunteerPersonTimes
} AS figures, cadreFigures
