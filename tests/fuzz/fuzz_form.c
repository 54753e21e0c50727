/* A form body from outside, as the aggregators' POST and /admin/send take
 * it: the first byte picks the Content-Type, the rest is the body.  The
 * strict reader either refuses with a one-line reason or gives fields
 * that are whole (no NUL, named, unique) and that read back the same
 * once encoded again; the aggregator's and admin's readers built on it
 * accept only what their fields allow. */
#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"
#include "form.h"
#include "ingress_aggregator.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const types[] = {
	NULL,
	"application/x-www-form-urlencoded",
	"application/x-www-form-urlencoded; charset=utf-8",
	"application/json",
};

/* Appends s to out, every byte as %XX when escape is set, else as is. */
static void
append(const char *s, int escape, char **out, size_t *len, size_t *cap)
{
	for (; *s != '\0'; s++) {
		if (*len + 4 > *cap) {
			*cap = *cap * 2 + 64;
			*out = realloc(*out, *cap);
			assert(*out != NULL);
		}
		if (escape)
			*len += (size_t)snprintf(*out + *len, 4, "%%%02X",
			    (unsigned char)*s);
		else
			(*out)[(*len)++] = *s;
	}
}

static void
check_one_line(const char *why)
{
	assert(why[0] != '\0');
	assert(strchr(why, '\n') == NULL && strchr(why, '\r') == NULL);
}

static void
check_form(const struct form *f)
{
	struct form	 again;
	char		*body = NULL, why[256];
	size_t		 len = 0, cap = 0, i, j;

	assert(f->n <= 64);
	for (i = 0; i < f->n; i++) {
		assert(f->fields[i].name[0] != '\0');
		for (j = 0; j < i; j++)
			assert(strcmp(f->fields[i].name, f->fields[j].name) != 0);
		if (i > 0)
			append("&", 0, &body, &len, &cap);
		append(f->fields[i].name, 1, &body, &len, &cap);
		append("=", 0, &body, &len, &cap);
		append(f->fields[i].value, 1, &body, &len, &cap);
	}
	assert(form_parse(body != NULL ? body : "", len, &again, why,
	    sizeof why) == 0);
	assert(again.n == f->n);
	for (i = 0; i < f->n; i++) {
		assert(strcmp(again.fields[i].name, f->fields[i].name) == 0);
		assert(strcmp(again.fields[i].value, f->fields[i].value) == 0);
	}
	form_clear(&again);
	free(body);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct form		 f;
	struct aggregator_form	 ag;
	struct admin_send	 as;
	const char		*ct, *body = (const char *)data + 1, *p;
	char			 why[256];

	if (len == 0)
		return 0;
	ct = types[data[0] % (sizeof types / sizeof types[0])];
	len--;

	why[0] = '\0';
	if (form_read(body, len, ct, &f, why, sizeof why) == 0) {
		check_form(&f);
		form_clear(&f);
	} else
		check_one_line(why);

	why[0] = '\0';
	if (ingress_aggregator_read(body, len, ct, &ag, why, sizeof why) ==
	    0) {
		assert(ag.service_code[0] != '\0' &&
		    strspn(ag.service_code, "0123456789*#+") ==
		    strlen(ag.service_code));
		assert(ag.session_id[0] != '\0');
		for (p = ag.session_id; *p != '\0'; p++)
			assert((*p >= '0' && *p <= '9') ||
			    (*p >= 'a' && *p <= 'z') ||
			    (*p >= 'A' && *p <= 'Z') ||
			    strchr("-_.:", *p) != NULL);
		assert(ag.msisdn[0] != '\0' && strspn(ag.msisdn,
		    "0123456789") == strlen(ag.msisdn));
		assert(ag.text != NULL);
		ingress_aggregator_form_clear(&ag);
	} else
		check_one_line(why);

	why[0] = '\0';
	if (admin_send_read(body, len, ct, &as, why, sizeof why) == 0) {
		assert(strlen(as.text) >= 1 && strlen(as.text) <= 1600);
		assert(as.ussd_op == 0 || as.ussd_op == 2 || as.ussd_op == 3);
		assert(as.msisdn[0] != '\0' && strspn(as.msisdn,
		    "0123456789") == strlen(as.msisdn));
		admin_send_clear(&as);
	} else
		check_one_line(why);
	return 0;
}
