/* Layers: a plugin over another has the core load the one beneath
 * (load_next), found beside the layer first and checked as any plugin is;
 * only during the layer's init. Each case loads in a child of its own:
 * a process loads one backend. */
#include "config.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "vmosal.h"
#include "vmosal/backend.h"

static char layer[4096];

static void find_layer(void)
{
	const char *fakes = getenv("VMOSAL_TEST_FAKES");

	ck_assert_msg(fakes != NULL, "VMOSAL_TEST_FAKES must be set ('make check' does)");
	snprintf(layer, sizeof layer, "%s/vmosal_fake_layer%s", fakes, LT_MODULE_EXT);
}

/* Runs fn in a child with VMOSAL_FAKE_LAYER_NEXT=next (NULL: unset), and
 * returns its exit status; fn's failed checks print their reason. */
static int in_child(const char *next, int (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (next != NULL)
			setenv("VMOSAL_FAKE_LAYER_NEXT", next, 1);
		else
			unsetenv("VMOSAL_FAKE_LAYER_NEXT");
		_exit(fn());
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "the child died of signal %d", WTERMSIG(status));
	return WEXITSTATUS(status);
}

#define CHILD_CHECK(cond)                                                        \
	do {                                                                     \
		if (!(cond)) {                                                   \
			fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond); \
			return 1;                                                \
		}                                                                \
	} while (0)

static void *layer_symbol(const char *name)
{
	void *module = dlopen(layer, RTLD_NOW | RTLD_NOLOAD);
	void *sym = module != NULL ? dlsym(module, name) : NULL;

	if (module != NULL)
		dlclose(module);
	return sym;
}

static int loads_the_default_beneath(void)
{
	const struct vmosal_backend_ops *(*next)(void);
	struct vmosal_backend_info info = VMOSAL_STRUCT_INIT(struct vmosal_backend_info);
	vmosal_handle_t ev;

	CHILD_CHECK(vmosal_init_backend(layer) == 0);
	CHILD_CHECK(strcmp(vmosal_backend_name(), "fake-layer") == 0);
	CHILD_CHECK(vmosal_backend_info(&info) == 0 && strcmp(info.path, layer) == 0);
	*(void **)&next = layer_symbol("vmosal_fake_layer_next");
	CHILD_CHECK(next != NULL && next() != NULL);
	CHILD_CHECK(strcmp(next()->name, VMOSAL_DEFAULT_BACKEND) == 0);
	/* The public API runs through the layer to the backend beneath. */
	CHILD_CHECK(vmosal_page_size() > 0);
	CHILD_CHECK(vmosal_event_create(0, &ev) == 0);
	CHILD_CHECK(vmosal_event_notify(ev) == 0);
	CHILD_CHECK(vmosal_event_wait(ev, 0) == 0);
	CHILD_CHECK(vmosal_handle_close(ev) == 0);
	return 0;
}

START_TEST(test_layer_loads_the_default_beneath)
{
	find_layer();
	ck_assert_int_eq(in_child(NULL, loads_the_default_beneath), 0);
}
END_TEST

static int refuses_a_bad_next(void)
{
	char why[4096];

	CHILD_CHECK(vmosal_init_backend(layer) == VMOSAL_EBACKEND);
	CHILD_CHECK(vmosal_backend_error(why, sizeof why) == 0);
	/* The core's own check, with its reason, for the plugin beneath. */
	if (strstr(why, "vmosal_fake_badmajor") == NULL || strstr(why, "ABI") == NULL) {
		fprintf(stderr, "vmosal_backend_error() said: %s\n", why);
		return 1;
	}
	return 0;
}

START_TEST(test_next_is_checked_as_any_plugin)
{
	find_layer();
	/* By name: found beside the layer, where the fakes are. */
	ck_assert_int_eq(in_child("fake_badmajor", refuses_a_bad_next), 0);
}
END_TEST

static int found_beside(void)
{
	const struct vmosal_backend_ops *(*next)(void);

	CHILD_CHECK(vmosal_init_backend(layer) == 0);
	*(void **)&next = layer_symbol("vmosal_fake_layer_next");
	CHILD_CHECK(next != NULL && strcmp(next()->name, "fake") == 0);
	return 0;
}

START_TEST(test_next_is_found_beside_the_layer)
{
	find_layer();
	/* fake_good is only in the fakes' directory, not on the path. */
	ck_assert_int_eq(in_child("fake_good", found_beside), 0);
}
END_TEST

static int late_is_refused(void)
{
	const struct vmosal_backend_ops *(*late)(const char *);

	CHILD_CHECK(vmosal_init_backend(layer) == 0);
	*(void **)&late = layer_symbol("vmosal_fake_layer_load_late");
	CHILD_CHECK(late != NULL);
	CHILD_CHECK(late(VMOSAL_DEFAULT_BACKEND) == NULL);
	return 0;
}

START_TEST(test_load_next_only_during_init)
{
	find_layer();
	ck_assert_int_eq(in_child(NULL, late_is_refused), 0);
}
END_TEST

static int missing_next(void)
{
	CHILD_CHECK(vmosal_init_backend(layer) == VMOSAL_EBACKEND);
	/* Nothing else was loaded in its place. */
	CHILD_CHECK(vmosal_backend_name() == NULL);
	return 0;
}

START_TEST(test_no_next_refuses_the_layer)
{
	find_layer();
	ck_assert_int_eq(in_child("no_such_backend", missing_next), 0);
}
END_TEST

static int loop_refused(void)
{
	char why[4096];

	CHILD_CHECK(vmosal_init_backend(layer) == VMOSAL_EBACKEND);
	CHILD_CHECK(vmosal_backend_error(why, sizeof why) == 0);
	if (strstr(why, "layers") == NULL) {
		fprintf(stderr, "vmosal_backend_error() said: %s\n", why);
		return 1;
	}
	return 0;
}

START_TEST(test_a_layer_over_itself_ends)
{
	find_layer();
	/* Each init loads the same layer beneath it again: it must end. */
	ck_assert_int_eq(in_child("fake_layer", loop_refused), 0);
}
END_TEST

/* ---- the table the core adopts at load ---- */

static char plugin[4096];

static const char *fake_named(const char *name)
{
	snprintf(plugin, sizeof plugin, "%s/vmosal_fake_%s%s", getenv("VMOSAL_TEST_FAKES"), name,
		 LT_MODULE_EXT);
	return plugin;
}

static int partial_groups_absent(void)
{
	struct vmosal_host_caps caps = VMOSAL_STRUCT_INIT(struct vmosal_host_caps);
	struct vmosal_jit jit = VMOSAL_STRUCT_INIT(struct vmosal_jit);
	vmosal_handle_t ev = VMOSAL_NO_HANDLE;

	CHILD_CHECK(vmosal_init_backend(fake_named("partial")) == 0);
	/* jit_map without jit_unmap, events without event_wait: absent. */
	CHILD_CHECK(vmosal_jit_create(4096, &jit) == VMOSAL_ENOTSUP);
	CHILD_CHECK(vmosal_event_create(0, &ev) == VMOSAL_ENOTSUP && ev == VMOSAL_NO_HANDLE);
	CHILD_CHECK(vmosal_host_caps(&caps) == 0 && (caps.flags & VMOSAL_CAP_JIT) == 0);
	/* The groups it has whole still work. */
	CHILD_CHECK(vmosal_shm_create(NULL, vmosal_page_size(), 0, 0, &ev) == 0);
	CHILD_CHECK(vmosal_handle_close(ev) == 0);
	return 0;
}

START_TEST(test_a_partial_group_is_absent)
{
	ck_assert_int_eq(in_child(NULL, partial_groups_absent), 0);
}
END_TEST

static int old_close_used(void)
{
	unsigned (*closes)(void);
	vmosal_handle_t ev;
	void *module;

	CHILD_CHECK(vmosal_init_backend(fake_named("oldclose")) == 0);
	module = dlopen(plugin, RTLD_NOW | RTLD_NOLOAD);
	CHILD_CHECK(module != NULL);
	*(void **)&closes = dlsym(module, "vmosal_fake_closes");
	CHILD_CHECK(closes != NULL);
	CHILD_CHECK(vmosal_event_create(0, &ev) == 0);
	/* ABI 2.3 closed every handle through slot 41, not shm_close. */
	CHILD_CHECK(vmosal_handle_close(ev) == 0);
	CHILD_CHECK(closes() == 1);
	/* And ABI 2.4's new slots are absent, not read past its table. */
	CHILD_CHECK(vmosal_handle_dup(0, &ev) == VMOSAL_ENOTSUP);
	dlclose(module);
	return 0;
}

START_TEST(test_abi_2_3_closes_through_its_own_slot)
{
	ck_assert_int_eq(in_child(NULL, old_close_used), 0);
}
END_TEST

static int old_event_wait_kicked(void)
{
	struct vmosal_kick_target k = VMOSAL_STRUCT_INIT(struct vmosal_kick_target);
	vmosal_tid_t self;
	vmosal_handle_t ev;
	bool pending;

	CHILD_CHECK(vmosal_init_backend(fake_named("minor1")) == 0);
	CHILD_CHECK(vmosal_event_create(0, &ev) == 0);
	CHILD_CHECK(vmosal_event_notify(ev) == 0);
	CHILD_CHECK(vmosal_event_wait(ev, 0) == 0);
	/* Without event_wait_kick the core reads the flag itself: a wait
	 * with a kick pending still ends at once, with EINTR. */
	CHILD_CHECK(vmosal_thread_kick_register(&k) == 0);
	CHILD_CHECK(vmosal_thread_self(&self) == 0);
	CHILD_CHECK(vmosal_thread_kick(self) == 0);
	CHILD_CHECK(vmosal_event_wait(ev, (int64_t)5 * 1000000000) == VMOSAL_EINTR);
	CHILD_CHECK(vmosal_thread_kick_pending(true, &pending) == 0 && pending);
	CHILD_CHECK(vmosal_event_wait(ev, 1000) == VMOSAL_ETIMEDOUT);
	CHILD_CHECK(vmosal_thread_kick_unregister() == 0);
	CHILD_CHECK(vmosal_handle_close(ev) == 0);
	return 0;
}

START_TEST(test_abi_2_1_event_wait_sees_a_pending_kick)
{
	ck_assert_int_eq(in_child(NULL, old_event_wait_kicked), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("layer");
	TCase *tc = tcase_create("load_next");

	tcase_add_test(tc, test_layer_loads_the_default_beneath);
	tcase_add_test(tc, test_next_is_checked_as_any_plugin);
	tcase_add_test(tc, test_next_is_found_beside_the_layer);
	tcase_add_test(tc, test_load_next_only_during_init);
	tcase_add_test(tc, test_no_next_refuses_the_layer);
	tcase_add_test(tc, test_a_layer_over_itself_ends);
	suite_add_tcase(s, tc);
	tc = tcase_create("adopt");
	tcase_add_test(tc, test_a_partial_group_is_absent);
	tcase_add_test(tc, test_abi_2_3_closes_through_its_own_slot);
	tcase_add_test(tc, test_abi_2_1_event_wait_sees_a_pending_kick);
	suite_add_tcase(s, tc);
	return vmosal_run_suite(s);
}
