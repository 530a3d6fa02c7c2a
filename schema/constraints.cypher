// Constraints and indexes of the graph model (applied idempotently by `graph-api migrate`
// and at start). Business keys are unique per kind; grid codes are unique across all levels.
// Scope keys (streetId, communityId) are indexed because every scoped read filters on them.

// business keys
CREATE CONSTRAINT district_id IF NOT EXISTS FOR (n:District) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT street_id IF NOT EXISTS FOR (n:Street) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT community_id IF NOT EXISTS FOR (n:Community) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT area_id IF NOT EXISTS FOR (n:Area) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT complex_id IF NOT EXISTS FOR (n:Complex) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT building_id IF NOT EXISTS FOR (n:Building) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT stairwellunit_id IF NOT EXISTS FOR (n:StairwellUnit) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT household_id IF NOT EXISTS FOR (n:Household) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT partyorg_id IF NOT EXISTS FOR (n:PartyOrg) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT member_id IF NOT EXISTS FOR (n:Member) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT cadre_id IF NOT EXISTS FOR (n:Cadre) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT person_id IF NOT EXISTS FOR (n:Person) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT team_id IF NOT EXISTS FOR (n:Team) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT jointunit_id IF NOT EXISTS FOR (n:JointUnit) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT resource_id IF NOT EXISTS FOR (n:Resource) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT need_id IF NOT EXISTS FOR (n:Need) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT project_id IF NOT EXISTS FOR (n:Project) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT pairing_id IF NOT EXISTS FOR (n:Pairing) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT servicecarrier_id IF NOT EXISTS FOR (n:ServiceCarrier) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT activity_id IF NOT EXISTS FOR (n:Activity) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT grid_code IF NOT EXISTS FOR (n:Grid) REQUIRE n.code IS UNIQUE;

// the audit log and the security records (not model kinds; kept by a replacing load)
CREATE CONSTRAINT auditentry_id IF NOT EXISTS FOR (n:AuditEntry) REQUIRE n.id IS UNIQUE;
CREATE INDEX auditentry_at IF NOT EXISTS FOR (n:AuditEntry) ON (n.at);
CREATE CONSTRAINT apikey_id IF NOT EXISTS FOR (n:ApiKey) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT revokedtoken_id IF NOT EXISTS FOR (n:RevokedToken) REQUIRE n.id IS UNIQUE;

// scope keys
CREATE INDEX community_community IF NOT EXISTS FOR (n:Community) ON (n.communityId);
CREATE INDEX community_street IF NOT EXISTS FOR (n:Community) ON (n.streetId);
CREATE INDEX area_community IF NOT EXISTS FOR (n:Area) ON (n.communityId);
CREATE INDEX area_street IF NOT EXISTS FOR (n:Area) ON (n.streetId);
CREATE INDEX complex_community IF NOT EXISTS FOR (n:Complex) ON (n.communityId);
CREATE INDEX complex_street IF NOT EXISTS FOR (n:Complex) ON (n.streetId);
CREATE INDEX building_community IF NOT EXISTS FOR (n:Building) ON (n.communityId);
CREATE INDEX building_street IF NOT EXISTS FOR (n:Building) ON (n.streetId);
CREATE INDEX stairwellunit_community IF NOT EXISTS FOR (n:StairwellUnit) ON (n.communityId);
CREATE INDEX stairwellunit_street IF NOT EXISTS FOR (n:StairwellUnit) ON (n.streetId);
CREATE INDEX household_community IF NOT EXISTS FOR (n:Household) ON (n.communityId);
CREATE INDEX household_street IF NOT EXISTS FOR (n:Household) ON (n.streetId);
CREATE INDEX partyorg_community IF NOT EXISTS FOR (n:PartyOrg) ON (n.communityId);
CREATE INDEX partyorg_street IF NOT EXISTS FOR (n:PartyOrg) ON (n.streetId);
CREATE INDEX member_community IF NOT EXISTS FOR (n:Member) ON (n.communityId);
CREATE INDEX member_street IF NOT EXISTS FOR (n:Member) ON (n.streetId);
CREATE INDEX cadre_community IF NOT EXISTS FOR (n:Cadre) ON (n.communityId);
CREATE INDEX cadre_street IF NOT EXISTS FOR (n:Cadre) ON (n.streetId);
CREATE INDEX person_community IF NOT EXISTS FOR (n:Person) ON (n.communityId);
CREATE INDEX person_street IF NOT EXISTS FOR (n:Person) ON (n.streetId);
CREATE INDEX team_community IF NOT EXISTS FOR (n:Team) ON (n.communityId);
CREATE INDEX team_street IF NOT EXISTS FOR (n:Team) ON (n.streetId);
CREATE INDEX jointunit_community IF NOT EXISTS FOR (n:JointUnit) ON (n.communityId);
CREATE INDEX jointunit_street IF NOT EXISTS FOR (n:JointUnit) ON (n.streetId);
CREATE INDEX resource_community IF NOT EXISTS FOR (n:Resource) ON (n.communityId);
CREATE INDEX resource_street IF NOT EXISTS FOR (n:Resource) ON (n.streetId);
CREATE INDEX need_community IF NOT EXISTS FOR (n:Need) ON (n.communityId);
CREATE INDEX need_street IF NOT EXISTS FOR (n:Need) ON (n.streetId);
CREATE INDEX project_community IF NOT EXISTS FOR (n:Project) ON (n.communityId);
CREATE INDEX project_street IF NOT EXISTS FOR (n:Project) ON (n.streetId);
CREATE INDEX pairing_community IF NOT EXISTS FOR (n:Pairing) ON (n.communityId);
CREATE INDEX pairing_street IF NOT EXISTS FOR (n:Pairing) ON (n.streetId);
CREATE INDEX servicecarrier_community IF NOT EXISTS FOR (n:ServiceCarrier) ON (n.communityId);
CREATE INDEX servicecarrier_street IF NOT EXISTS FOR (n:ServiceCarrier) ON (n.streetId);
CREATE INDEX activity_community IF NOT EXISTS FOR (n:Activity) ON (n.communityId);
CREATE INDEX activity_street IF NOT EXISTS FOR (n:Activity) ON (n.streetId);

// frequent lookups and filters
CREATE INDEX district_name IF NOT EXISTS FOR (n:District) ON (n.name);
CREATE INDEX street_name IF NOT EXISTS FOR (n:Street) ON (n.name);
CREATE INDEX community_name IF NOT EXISTS FOR (n:Community) ON (n.name);
CREATE INDEX community_level IF NOT EXISTS FOR (n:Community) ON (n.level);
CREATE INDEX area_name IF NOT EXISTS FOR (n:Area) ON (n.name);
CREATE INDEX area_level IF NOT EXISTS FOR (n:Area) ON (n.level);
CREATE INDEX complex_name IF NOT EXISTS FOR (n:Complex) ON (n.name);
CREATE INDEX complex_level IF NOT EXISTS FOR (n:Complex) ON (n.level);
CREATE INDEX building_name IF NOT EXISTS FOR (n:Building) ON (n.name);
CREATE INDEX building_level IF NOT EXISTS FOR (n:Building) ON (n.level);
CREATE INDEX stairwellunit_name IF NOT EXISTS FOR (n:StairwellUnit) ON (n.name);
CREATE INDEX stairwellunit_level IF NOT EXISTS FOR (n:StairwellUnit) ON (n.level);
CREATE INDEX partyorg_name IF NOT EXISTS FOR (n:PartyOrg) ON (n.name);
CREATE INDEX partyorg_kind IF NOT EXISTS FOR (n:PartyOrg) ON (n.kind);
CREATE INDEX member_name IF NOT EXISTS FOR (n:Member) ON (n.name);
CREATE INDEX member_category IF NOT EXISTS FOR (n:Member) ON (n.category);
CREATE INDEX cadre_name IF NOT EXISTS FOR (n:Cadre) ON (n.name);
CREATE INDEX person_name IF NOT EXISTS FOR (n:Person) ON (n.name);
CREATE INDEX team_name IF NOT EXISTS FOR (n:Team) ON (n.name);
CREATE INDEX team_kind IF NOT EXISTS FOR (n:Team) ON (n.kind);
CREATE INDEX jointunit_name IF NOT EXISTS FOR (n:JointUnit) ON (n.name);
CREATE INDEX jointunit_kind IF NOT EXISTS FOR (n:JointUnit) ON (n.kind);
CREATE INDEX resource_title IF NOT EXISTS FOR (n:Resource) ON (n.title);
CREATE INDEX resource_category IF NOT EXISTS FOR (n:Resource) ON (n.category);
CREATE INDEX need_title IF NOT EXISTS FOR (n:Need) ON (n.title);
CREATE INDEX need_category IF NOT EXISTS FOR (n:Need) ON (n.category);
CREATE INDEX need_status IF NOT EXISTS FOR (n:Need) ON (n.status);
CREATE INDEX project_title IF NOT EXISTS FOR (n:Project) ON (n.title);
CREATE INDEX project_category IF NOT EXISTS FOR (n:Project) ON (n.category);
CREATE INDEX project_status IF NOT EXISTS FOR (n:Project) ON (n.status);
CREATE INDEX pairing_kind IF NOT EXISTS FOR (n:Pairing) ON (n.kind);
CREATE INDEX pairing_status IF NOT EXISTS FOR (n:Pairing) ON (n.status);
CREATE INDEX servicecarrier_name IF NOT EXISTS FOR (n:ServiceCarrier) ON (n.name);
CREATE INDEX servicecarrier_kind IF NOT EXISTS FOR (n:ServiceCarrier) ON (n.kind);
CREATE INDEX activity_title IF NOT EXISTS FOR (n:Activity) ON (n.title);
CREATE INDEX activity_kind IF NOT EXISTS FOR (n:Activity) ON (n.kind);
