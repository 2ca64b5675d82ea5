/* Consumer group coordinator (the classic protocol: JoinGroup, SyncGroup,
 * Heartbeat, LeaveGroup, DescribeGroups, ListGroups). Groups live in memory;
 * only committed offsets are persisted (offsets.c), so after a restart
 * members get UNKNOWN_MEMBER_ID and simply rejoin.
 *
 * Group state machine (Kafka's names):
 *   Empty --join--> PreparingRebalance --all known members joined, or the
 *   rebalance timeout expired (stragglers removed)--> CompletingRebalance
 *   (generation+1, leader gets the member list) --leader's SyncGroup-->
 *   Stable (assignments stored opaque). A join with new metadata, a leave or
 *   a session timeout moves Stable/CompletingRebalance back to
 *   PreparingRebalance; heartbeats then answer REBALANCE_IN_PROGRESS so
 *   members rejoin. The last member leaving makes the group Empty.
 * JoinGroup v4+ with an empty member id is answered MEMBER_ID_REQUIRED with
 * a fresh id, which the client must present in its next join (KIP-394). */
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/diag.h"
#include "base/mem.h"
#include "kafka/kafka_int.h"

#define MOD "kafka"
#define MIN_SESSION_MS 1000
#define MAX_SESSION_MS 3600000

enum gstate { G_EMPTY, G_PREPARING, G_COMPLETING, G_STABLE };
static const char *gstate_name[] = {"Empty", "PreparingRebalance", "CompletingRebalance", "Stable"};

struct gprotocol {
	char *name;
	uint8_t *meta;
	int32_t len;
};

struct group;

struct gmember {
	struct gmember *next;
	struct group *g;
	char *id;
	char *client_id;
	int32_t session_timeout_ms;
	int32_t rebalance_timeout_ms;
	int64_t last_seen_ms;
	int nprotocols;
	struct gprotocol *protocols;
	uint8_t *assignment;
	int32_t assignment_len;
	struct ed_kreq *join_req;
	struct ed_kreq *sync_req;
};

struct gpending {
	struct gpending *next;
	char *id;
	int64_t expires_ms;
};

struct group {
	struct group *next;
	char *id;
	enum gstate state;
	int32_t generation;
	char *protocol_type;
	char *protocol; /* chosen for the current generation */
	char *leader;
	struct gmember *members;
	struct gpending *pending;
	int64_t rebalance_deadline_ms;
};

struct ed_kgroups {
	struct ed_kafka *k;
	struct group *groups;
	uint64_t next_member;
};

int ed_kgroups_new(struct ed_kafka *k, struct ed_kgroups **out)
{
	struct ed_kgroups *gs = ed_calloc(1, sizeof(*gs));
	if (!gs)
		return -1;
	gs->k = k;
	*out = gs;
	return 0;
}

static void member_free(struct gmember *m)
{
	for (int i = 0; i < m->nprotocols; i++) {
		ed_free(m->protocols[i].name);
		ed_free(m->protocols[i].meta);
	}
	ed_free(m->protocols);
	ed_free(m->assignment);
	ed_free(m->id);
	ed_free(m->client_id);
	ed_free(m);
}

static void group_free(struct group *g)
{
	while (g->members) {
		struct gmember *m = g->members;
		g->members = m->next;
		member_free(m);
	}
	while (g->pending) {
		struct gpending *p = g->pending;
		g->pending = p->next;
		ed_free(p->id);
		ed_free(p);
	}
	ed_free(g->id);
	ed_free(g->protocol_type);
	ed_free(g->protocol);
	ed_free(g->leader);
	ed_free(g);
}

void ed_kgroups_free(struct ed_kgroups *gs)
{
	if (!gs)
		return;
	while (gs->groups) {
		struct group *g = gs->groups;
		gs->groups = g->next;
		group_free(g);
	}
	ed_free(gs);
}

static struct group *group_find(struct ed_kgroups *gs, const char *id)
{
	for (struct group *g = gs->groups; g; g = g->next)
		if (strcmp(g->id, id) == 0)
			return g;
	return NULL;
}

bool ed_kgroups_exists(struct ed_kafka *k, const char *group)
{
	return group_find(k->groups, group) != NULL;
}

static struct group *group_get(struct ed_kgroups *gs, const char *id)
{
	struct group *g = group_find(gs, id);
	if (g)
		return g;
	g = ed_calloc(1, sizeof(*g));
	if (!g || !(g->id = ed_strdup(id))) {
		ed_free(g);
		return NULL;
	}
	g->next = gs->groups;
	gs->groups = g;
	return g;
}

static struct gmember *member_find(struct group *g, const char *id)
{
	for (struct gmember *m = g->members; m; m = m->next)
		if (strcmp(m->id, id) == 0)
			return m;
	return NULL;
}

static int member_count(struct group *g)
{
	int n = 0;
	for (struct gmember *m = g->members; m; m = m->next)
		n++;
	return n;
}

static const struct gprotocol *member_protocol(const struct gmember *m, const char *name)
{
	for (int i = 0; i < m->nprotocols; i++)
		if (strcmp(m->protocols[i].name, name) == 0)
			return &m->protocols[i];
	return NULL;
}

/* ---- responses ---- */

static void answer_join(struct ed_kreq *req, struct group *g, struct gmember *m, int16_t kerr)
{
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	ed_buf_reset(b);
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 2)
		ed_kput_i32(b, 0);
	ed_kput_i16(b, kerr);
	ed_kput_i32(b, kerr ? -1 : g->generation);
	ed_kput_str(b, kerr || !g->protocol ? "" : g->protocol);
	ed_kput_str(b, kerr || !g->leader ? "" : g->leader);
	ed_kput_str(b, m ? m->id : req->msg.u.join_group.member_id);
	bool is_leader = !kerr && m && g->leader && strcmp(g->leader, m->id) == 0;
	if (!is_leader) {
		ed_kput_i32(b, 0);
	} else {
		ed_kput_i32(b, member_count(g));
		for (struct gmember *o = g->members; o; o = o->next) {
			const struct gprotocol *p = member_protocol(o, g->protocol);
			ed_kput_str(b, o->id);
			if (v >= 5)
				ed_kput_str(b, NULL);
			ed_kput_bytes(b, p ? p->meta : (const uint8_t *)"", p ? p->len : 0);
		}
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

static void answer_sync(struct ed_kreq *req, struct gmember *m, int16_t kerr)
{
	struct ed_buf *b = &req->resp;
	ed_buf_reset(b);
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (req->msg.api_version >= 1)
		ed_kput_i32(b, 0);
	ed_kput_i16(b, kerr);
	if (!kerr && m && m->assignment)
		ed_kput_bytes(b, m->assignment, m->assignment_len);
	else
		ed_kput_bytes(b, "", 0);
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

static void answer_error(struct ed_kreq *req, int16_t kerr)
{
	struct ed_buf *b = &req->resp;
	ed_buf_reset(b);
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (req->msg.api_version >= 1)
		ed_kput_i32(b, 0);
	ed_kput_i16(b, kerr);
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

/* ---- state transitions ---- */

static void answer_parked_join(struct gmember *m, int16_t kerr)
{
	struct ed_kreq *req = m->join_req;
	if (!req)
		return;
	m->join_req = NULL;
	ed_kreq_unpark(req);
	answer_join(req, m->g, kerr ? NULL : m, kerr);
}

static void answer_parked_sync(struct gmember *m, int16_t kerr)
{
	struct ed_kreq *req = m->sync_req;
	if (!req)
		return;
	m->sync_req = NULL;
	ed_kreq_unpark(req);
	answer_sync(req, m, kerr);
}

static void member_remove(struct group *g, struct gmember *m, int16_t kerr)
{
	struct gmember **pm = &g->members;
	while (*pm && *pm != m)
		pm = &(*pm)->next;
	if (*pm)
		*pm = m->next;
	if (m->join_req) {
		struct ed_kreq *req = m->join_req;
		m->join_req = NULL;
		ed_kreq_unpark(req);
		answer_join(req, g, NULL, kerr);
	}
	answer_parked_sync(m, kerr);
	if (g->leader && strcmp(g->leader, m->id) == 0) {
		ed_free(g->leader);
		g->leader = NULL;
	}
	member_free(m);
}

static void complete_join(struct group *g);

static void prepare_rebalance(struct group *g, const char *why)
{
	if (g->state == G_PREPARING)
		return;
	ed_info(MOD, "group %s: rebalance (%s), generation %d", g->id, why, g->generation);
	for (struct gmember *m = g->members; m; m = m->next)
		answer_parked_sync(m, ED_KERR_REBALANCE_IN_PROGRESS);
	int32_t timeout = 0;
	for (struct gmember *m = g->members; m; m = m->next)
		if (m->rebalance_timeout_ms > timeout)
			timeout = m->rebalance_timeout_ms;
	g->state = G_PREPARING;
	g->rebalance_deadline_ms = ed_mono_ms() + timeout;
}

static bool all_joined(struct group *g)
{
	for (struct gmember *m = g->members; m; m = m->next)
		if (!m->join_req)
			return false;
	return true;
}

/* Pick the first protocol of the leader's list that every member supports. */
static const char *choose_protocol(struct group *g, struct gmember *leader)
{
	for (int i = 0; i < leader->nprotocols; i++) {
		const char *name = leader->protocols[i].name;
		bool all = true;
		for (struct gmember *m = g->members; m && all; m = m->next)
			all = member_protocol(m, name) != NULL;
		if (all)
			return name;
	}
	return NULL;
}

static void complete_join(struct group *g)
{
	if (g->state != G_PREPARING)
		return;
	/* Members that did not rejoin in time are out. */
	struct gmember *m = g->members;
	while (m) {
		struct gmember *next = m->next;
		if (!m->join_req) {
			ed_info(MOD, "group %s: member %s did not rejoin, removed", g->id, m->id);
			member_remove(g, m, ED_KERR_UNKNOWN_MEMBER_ID);
		}
		m = next;
	}
	g->generation++;
	ed_free(g->protocol);
	g->protocol = NULL;
	if (!g->members) {
		g->state = G_EMPTY;
		ed_free(g->leader);
		g->leader = NULL;
		return;
	}
	struct gmember *leader = g->leader ? member_find(g, g->leader) : NULL;
	if (!leader) {
		leader = g->members;
		ed_free(g->leader);
		g->leader = ed_strdup(leader->id);
	}
	const char *proto = choose_protocol(g, leader);
	g->protocol = proto ? ed_strdup(proto) : NULL;
	if (!g->protocol || !g->leader) {
		/* cannot happen: joins are checked for a common protocol */
		for (m = g->members; m; m = m->next)
			answer_parked_join(m, ED_KERR_INCONSISTENT_GROUP_PROTOCOL);
		g->state = G_EMPTY;
		return;
	}
	g->state = G_COMPLETING;
	for (m = g->members; m; m = m->next) {
		ed_free(m->assignment);
		m->assignment = NULL;
		m->assignment_len = 0;
		m->last_seen_ms = ed_mono_ms();
	}
	ed_info(MOD, "group %s: generation %d with %d members, leader %s, protocol %s", g->id,
		g->generation, member_count(g), g->leader, g->protocol);
	for (m = g->members; m; m = m->next)
		answer_parked_join(m, ED_KERR_NONE);
}

/* ---- handlers ---- */

static bool protocols_equal(const struct gmember *m, const struct ed_kreq_join_group *r)
{
	if (m->nprotocols != r->nprotocols)
		return false;
	for (int i = 0; i < m->nprotocols; i++) {
		const struct ed_kprotocol *p = &r->protocols[i];
		int32_t len = p->metadata.len < 0 ? 0 : p->metadata.len;
		if (strcmp(m->protocols[i].name, p->name) != 0 || m->protocols[i].len != len ||
		    (len && memcmp(m->protocols[i].meta, p->metadata.p, (size_t)len) != 0))
			return false;
	}
	return true;
}

static int member_set_protocols(struct gmember *m, const struct ed_kreq_join_group *r)
{
	struct gprotocol *np = ed_calloc((size_t)(r->nprotocols ? r->nprotocols : 1), sizeof(*np));
	if (!np)
		return -1;
	for (int i = 0; i < r->nprotocols; i++) {
		const struct ed_kprotocol *p = &r->protocols[i];
		int32_t len = p->metadata.len < 0 ? 0 : p->metadata.len;
		np[i].name = ed_strdup(p->name);
		np[i].meta = ed_malloc(len ? (size_t)len : 1);
		np[i].len = len;
		if (!np[i].name || !np[i].meta) {
			for (int j = 0; j <= i; j++) {
				ed_free(np[j].name);
				ed_free(np[j].meta);
			}
			ed_free(np);
			return -1;
		}
		if (len)
			memcpy(np[i].meta, p->metadata.p, (size_t)len);
	}
	for (int i = 0; i < m->nprotocols; i++) {
		ed_free(m->protocols[i].name);
		ed_free(m->protocols[i].meta);
	}
	ed_free(m->protocols);
	m->protocols = np;
	m->nprotocols = r->nprotocols;
	return 0;
}

/* Does the joining member share a protocol with every current member? */
static bool protocol_compatible(struct group *g, const struct ed_kreq_join_group *r, const char *self)
{
	if (r->nprotocols == 0 || r->protocol_type[0] == 0)
		return false;
	if (g->protocol_type && g->members && strcmp(g->protocol_type, r->protocol_type) != 0)
		return false;
	for (int i = 0; i < r->nprotocols; i++) {
		bool all = true;
		for (struct gmember *m = g->members; m && all; m = m->next)
			if (strcmp(m->id, self) != 0)
				all = member_protocol(m, r->protocols[i].name) != NULL;
		if (all)
			return true;
	}
	return false;
}

static char *new_member_id(struct ed_kgroups *gs, const char *client_id)
{
	char buf[300];
	snprintf(buf, sizeof(buf), "%.200s-%llu-%llx", client_id[0] ? client_id : "member",
		 (unsigned long long)++gs->next_member,
		 (unsigned long long)(ed_mono_ns() & 0xffffffffffull));
	return ed_strdup(buf);
}

void ed_kafka_handle_join_group(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kgroups *gs = k->groups;
	struct ed_kreq_join_group *r = &req->msg.u.join_group;
	int64_t now = ed_mono_ms();
	if (r->group_id[0] == 0) {
		answer_join(req, NULL, NULL, ED_KERR_INVALID_GROUP_ID);
		return;
	}
	if (r->session_timeout_ms < MIN_SESSION_MS || r->session_timeout_ms > MAX_SESSION_MS) {
		answer_join(req, NULL, NULL, ED_KERR_INVALID_SESSION_TIMEOUT);
		return;
	}
	struct group *g = group_get(gs, r->group_id);
	if (!g) {
		answer_join(req, NULL, NULL, ED_KERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	if (!protocol_compatible(g, r, r->member_id)) {
		answer_join(req, NULL, NULL, ED_KERR_INCONSISTENT_GROUP_PROTOCOL);
		return;
	}
	struct gmember *m = NULL;
	bool is_new = false;
	if (r->member_id[0] == 0) {
		char *id = new_member_id(gs, req->msg.client_id);
		if (!id) {
			answer_join(req, NULL, NULL, ED_KERR_COORDINATOR_NOT_AVAILABLE);
			return;
		}
		if (req->msg.api_version >= 4) {
			struct gpending *p = ed_calloc(1, sizeof(*p));
			if (!p) {
				ed_free(id);
				answer_join(req, NULL, NULL, ED_KERR_COORDINATOR_NOT_AVAILABLE);
				return;
			}
			p->id = id;
			p->expires_ms = now + r->session_timeout_ms;
			p->next = g->pending;
			g->pending = p;
			r->member_id = ed_arena_strndup(&req->arena, id, strlen(id));
			if (!r->member_id)
				r->member_id = (char *)"";
			answer_join(req, g, NULL, ED_KERR_MEMBER_ID_REQUIRED);
			return;
		}
		m = ed_calloc(1, sizeof(*m));
		if (!m) {
			ed_free(id);
			answer_join(req, NULL, NULL, ED_KERR_COORDINATOR_NOT_AVAILABLE);
			return;
		}
		m->id = id;
		is_new = true;
	} else {
		m = member_find(g, r->member_id);
		if (!m) {
			struct gpending **pp = &g->pending;
			while (*pp && strcmp((*pp)->id, r->member_id) != 0)
				pp = &(*pp)->next;
			if (!*pp) {
				answer_join(req, g, NULL, ED_KERR_UNKNOWN_MEMBER_ID);
				return;
			}
			m = ed_calloc(1, sizeof(*m));
			if (!m) {
				answer_join(req, NULL, NULL, ED_KERR_COORDINATOR_NOT_AVAILABLE);
				return;
			}
			struct gpending *p = *pp;
			*pp = p->next;
			m->id = p->id;
			ed_free(p);
			is_new = true;
		}
	}
	if (m->join_req) {
		/* A second join while one is parked: the old one is superseded. */
		struct ed_kreq *old = m->join_req;
		m->join_req = NULL;
		ed_kreq_unpark(old);
		answer_join(old, g, NULL, ED_KERR_UNKNOWN_MEMBER_ID);
	}
	bool unchanged = !is_new && protocols_equal(m, r);
	if (!unchanged && member_set_protocols(m, r) < 0) {
		if (is_new)
			member_free(m);
		answer_join(req, NULL, NULL, ED_KERR_COORDINATOR_NOT_AVAILABLE);
		return;
	}
	if (is_new) {
		m->g = g;
		m->client_id = ed_strdup(req->msg.client_id);
		struct gmember **tail = &g->members;
		while (*tail)
			tail = &(*tail)->next;
		*tail = m;
		if (!g->protocol_type || strcmp(g->protocol_type, r->protocol_type) != 0) {
			ed_free(g->protocol_type);
			g->protocol_type = ed_strdup(r->protocol_type);
		}
	}
	m->session_timeout_ms = r->session_timeout_ms;
	m->rebalance_timeout_ms = r->rebalance_timeout_ms > 0 ? r->rebalance_timeout_ms
							      : r->session_timeout_ms;
	m->last_seen_ms = now;

	bool is_leader = g->leader && strcmp(g->leader, m->id) == 0;
	if ((g->state == G_STABLE || g->state == G_COMPLETING) && unchanged && !is_leader) {
		/* Nothing changed: hand back the current generation. */
		answer_join(req, g, m, ED_KERR_NONE);
		return;
	}
	prepare_rebalance(g, is_new ? "member joined" : "member rejoined");
	m->join_req = req;
	ed_kreq_park(req, ED_KPARK_JOIN, g->rebalance_deadline_ms, m);
	if (all_joined(g))
		complete_join(g);
}

void ed_kafka_handle_sync_group(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_sync_group *r = &req->msg.u.sync_group;
	struct group *g = group_find(k->groups, r->group_id);
	struct gmember *m = g ? member_find(g, r->member_id) : NULL;
	if (!m) {
		answer_sync(req, NULL, ED_KERR_UNKNOWN_MEMBER_ID);
		return;
	}
	if (r->generation_id != g->generation) {
		answer_sync(req, NULL, ED_KERR_ILLEGAL_GENERATION);
		return;
	}
	m->last_seen_ms = ed_mono_ms();
	if (g->state == G_PREPARING || g->state == G_EMPTY) {
		answer_sync(req, NULL, ED_KERR_REBALANCE_IN_PROGRESS);
		return;
	}
	if (g->state == G_STABLE) {
		answer_sync(req, m, ED_KERR_NONE);
		return;
	}
	/* CompletingRebalance */
	if (g->leader && strcmp(g->leader, m->id) == 0) {
		for (int32_t i = 0; i < r->nassignments; i++) {
			struct gmember *o = member_find(g, r->assignments[i].member_id);
			const struct ed_kbytes *a = &r->assignments[i].assignment;
			if (!o || a->len < 0)
				continue;
			uint8_t *copy = ed_malloc(a->len ? (size_t)a->len : 1);
			if (!copy)
				continue;
			if (a->len)
				memcpy(copy, a->p, (size_t)a->len);
			ed_free(o->assignment);
			o->assignment = copy;
			o->assignment_len = a->len;
		}
		g->state = G_STABLE;
		ed_info(MOD, "group %s: generation %d stable", g->id, g->generation);
		for (struct gmember *o = g->members; o; o = o->next)
			answer_parked_sync(o, ED_KERR_NONE);
		answer_sync(req, m, ED_KERR_NONE);
		return;
	}
	if (m->sync_req) {
		struct ed_kreq *old = m->sync_req;
		m->sync_req = NULL;
		ed_kreq_unpark(old);
		answer_sync(old, NULL, ED_KERR_REBALANCE_IN_PROGRESS);
	}
	m->sync_req = req;
	ed_kreq_park(req, ED_KPARK_SYNC, ed_mono_ms() + m->session_timeout_ms, m);
}

void ed_kafka_handle_heartbeat(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_heartbeat *r = &req->msg.u.heartbeat;
	struct group *g = group_find(k->groups, r->group_id);
	struct gmember *m = g ? member_find(g, r->member_id) : NULL;
	int16_t kerr = ED_KERR_NONE;
	if (!m)
		kerr = ED_KERR_UNKNOWN_MEMBER_ID;
	else if (r->generation_id != g->generation)
		kerr = ED_KERR_ILLEGAL_GENERATION;
	else if (g->state == G_PREPARING)
		kerr = ED_KERR_REBALANCE_IN_PROGRESS;
	if (m)
		m->last_seen_ms = ed_mono_ms();
	answer_error(req, kerr);
}

static void group_after_leave(struct group *g, const char *why)
{
	if (!g->members) {
		if (g->state != G_EMPTY) {
			g->state = G_EMPTY;
			g->generation++;
			ed_free(g->protocol);
			g->protocol = NULL;
			ed_info(MOD, "group %s: empty (%s)", g->id, why);
		}
		return;
	}
	prepare_rebalance(g, why);
	if (all_joined(g))
		complete_join(g);
}

void ed_kafka_handle_leave_group(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_leave_group *r = &req->msg.u.leave_group;
	struct group *g = group_find(k->groups, r->group_id);
	int16_t v = req->msg.api_version;
	int16_t top_err = ED_KERR_NONE;
	struct ed_buf *b = &req->resp;
	int16_t *errs = r->nmembers > 0
				? ed_arena_alloc(&req->arena, sizeof(int16_t) * (size_t)r->nmembers)
				: NULL;
	bool removed = false;
	for (int32_t i = 0; i < r->nmembers; i++) {
		struct gmember *m = g ? member_find(g, r->member_ids[i]) : NULL;
		int16_t e = m ? ED_KERR_NONE : ED_KERR_UNKNOWN_MEMBER_ID;
		if (m) {
			ed_info(MOD, "group %s: member %s left", g->id, m->id);
			member_remove(g, m, ED_KERR_UNKNOWN_MEMBER_ID);
			removed = true;
		}
		if (errs)
			errs[i] = e;
		if (v <= 2)
			top_err = e;
	}
	if (removed)
		group_after_leave(g, "member left");
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 1)
		ed_kput_i32(b, 0);
	ed_kput_i16(b, top_err);
	if (v >= 3) {
		ed_kput_i32(b, r->nmembers);
		for (int32_t i = 0; i < r->nmembers; i++) {
			ed_kput_str(b, r->member_ids[i]);
			ed_kput_str(b, NULL);
			ed_kput_i16(b, errs ? errs[i] : ED_KERR_UNKNOWN_SERVER_ERROR);
		}
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

void ed_kafka_handle_describe_groups(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_kreq_describe_groups *r = &req->msg.u.describe_groups;
	struct ed_buf *b = &req->resp;
	int16_t v = req->msg.api_version;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (v >= 1)
		ed_kput_i32(b, 0);
	ed_kput_i32(b, r->ngroups);
	for (int32_t i = 0; i < r->ngroups; i++) {
		struct group *g = group_find(k->groups, r->groups[i]);
		ed_kput_i16(b, ED_KERR_NONE);
		ed_kput_str(b, r->groups[i]);
		ed_kput_str(b, g ? gstate_name[g->state] : "Dead");
		ed_kput_str(b, g && g->protocol_type ? g->protocol_type : "");
		ed_kput_str(b, g && g->protocol ? g->protocol : "");
		ed_kput_i32(b, g ? member_count(g) : 0);
		for (struct gmember *m = g ? g->members : NULL; m; m = m->next) {
			const struct gprotocol *p = g->protocol ? member_protocol(m, g->protocol)
								: NULL;
			ed_kput_str(b, m->id);
			if (v >= 4)
				ed_kput_str(b, NULL);
			ed_kput_str(b, m->client_id ? m->client_id : "");
			ed_kput_str(b, "");
			ed_kput_bytes(b, p ? p->meta : (const uint8_t *)"", p ? p->len : 0);
			ed_kput_bytes(b, m->assignment ? m->assignment : (const uint8_t *)"",
				      m->assignment ? m->assignment_len : 0);
		}
		if (v >= 3)
			ed_kput_i32(b, INT32_MIN);
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

void ed_kafka_handle_list_groups(struct ed_kreq *req)
{
	struct ed_kafka *k = req->k;
	struct ed_buf *b = &req->resp;
	size_t start = ed_kresp_begin(b, req->msg.correlation_id);
	if (req->msg.api_version >= 1)
		ed_kput_i32(b, 0);
	ed_kput_i16(b, ED_KERR_NONE);
	int32_t n = 0;
	for (struct group *g = k->groups->groups; g; g = g->next)
		n++;
	ed_kput_i32(b, n);
	for (struct group *g = k->groups->groups; g; g = g->next) {
		ed_kput_str(b, g->id);
		ed_kput_str(b, g->protocol_type ? g->protocol_type : "");
	}
	ed_kresp_end(b, start);
	ed_kreq_done(req);
}

int16_t ed_kgroups_check_commit(struct ed_kafka *k, const char *group, int32_t generation,
				const char *member)
{
	struct group *g = group_find(k->groups, group);
	if (generation < 0 && member[0] == 0)
		return ED_KERR_NONE; /* simple (group-less) commit */
	struct gmember *m = g ? member_find(g, member) : NULL;
	if (!m)
		return ED_KERR_UNKNOWN_MEMBER_ID;
	if (generation != g->generation)
		return ED_KERR_ILLEGAL_GENERATION;
	if (g->state == G_COMPLETING)
		return ED_KERR_REBALANCE_IN_PROGRESS;
	m->last_seen_ms = ed_mono_ms();
	return ED_KERR_NONE;
}

/* ---- timers ---- */

void ed_kgroups_park_expired(struct ed_kreq *req)
{
	struct gmember *m = req->park_ctx;
	struct group *g = m->g;
	if (req->park == ED_KPARK_JOIN) {
		complete_join(g); /* answers every parked join, this one included */
		if (m->join_req == req) {
			m->join_req = NULL;
			ed_kreq_unpark(req);
			answer_join(req, g, NULL, ED_KERR_REBALANCE_IN_PROGRESS);
		}
	} else {
		m->sync_req = NULL;
		ed_kreq_unpark(req);
		answer_sync(req, NULL, ED_KERR_REBALANCE_IN_PROGRESS);
		prepare_rebalance(g, "leader did not sync");
	}
}

void ed_kgroups_park_cancel(struct ed_kreq *req)
{
	struct gmember *m = req->park_ctx;
	if (req->park == ED_KPARK_JOIN && m->join_req == req)
		m->join_req = NULL;
	if (req->park == ED_KPARK_SYNC && m->sync_req == req)
		m->sync_req = NULL;
	ed_kreq_unpark(req);
}

void ed_kgroups_tick(struct ed_kafka *k, int64_t now)
{
	for (struct group *g = k->groups->groups; g; g = g->next) {
		struct gpending **pp = &g->pending;
		while (*pp) {
			if ((*pp)->expires_ms <= now) {
				struct gpending *p = *pp;
				*pp = p->next;
				ed_free(p->id);
				ed_free(p);
			} else {
				pp = &(*pp)->next;
			}
		}
		bool removed = false;
		struct gmember *m = g->members;
		while (m) {
			struct gmember *next = m->next;
			if (!m->join_req && now - m->last_seen_ms > m->session_timeout_ms) {
				ed_info(MOD, "group %s: member %s session timed out", g->id, m->id);
				member_remove(g, m, ED_KERR_UNKNOWN_MEMBER_ID);
				removed = true;
			}
			m = next;
		}
		if (removed)
			group_after_leave(g, "session timeout");
		else if (g->state == G_PREPARING && now >= g->rebalance_deadline_ms)
			complete_join(g);
	}
}
