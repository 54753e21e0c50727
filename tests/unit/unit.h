/* The one way every unit test program runs its suite and exits. */
#ifndef ASANIGW_TEST_UNIT_H
#define ASANIGW_TEST_UNIT_H

#include <check.h>
#include <stdlib.h>

/* Adds the tests listed (START_TEST names) to tc, in order. */
#define UNIT_ADD(tc, ...) do {						\
	const TTest	*unit_tests_[] = { __VA_ARGS__ };		\
									\
	for (size_t unit_i_ = 0; unit_i_ < sizeof unit_tests_ /		\
	    sizeof unit_tests_[0]; unit_i_++)				\
		tcase_add_test((tc), unit_tests_[unit_i_]);		\
} while (0)

/* Runs the suite (forking per test unless CK_FORK=no) and returns the
 * exit status: failure if any test failed. */
static inline int
unit_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
