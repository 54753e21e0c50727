/* The one way every unit test program runs its suite and exits. */
#ifndef ASANIGW_TEST_UNIT_H
#define ASANIGW_TEST_UNIT_H

#include <check.h>
#include <stdlib.h>

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
