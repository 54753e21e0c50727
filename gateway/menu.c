/*
 * A compiled menu: loading it, freeing it, and the accessors the rest of
 * the gateway reads it by.  The file format is described in
 * menus/README.md.
 *
 * Loading is three steps: libconfig reads the file (syntax errors stop
 * here, with file and line), menu_compile() turns the tree into the graph
 * and collects every error of meaning, and the table of built-in messages
 * is filled in once per language so that menu_message() is a lookup.
 * A menu with any error is freed and never returned: what the gateway
 * serves from has been checked whole.  Only -t keeps one, when its
 * errors leave a graph whole enough to check (menu_load_for_check()),
 * so that an unknown target does not hide a missing translation.
 *
 * The graph is immutable once loaded; every accessor is a read and safe
 * to call from anywhere.  Compiling is in menu_compile.c, menu_screens.c
 * and menu_commands.c, the deeper checks of -t in menu_check.c, stepping
 * in step.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "errlist.h"
#include "menu.h"
#include "menu_compile.h"
#include "menu_graph.h"
#include "xmalloc.h"

/*
 * Built-in messages: what the engine and the stepper say outside any
 * screen's own text.  A menu may override any of them per language in
 * its `messages` group; a language with no default here falls back to
 * English.
 */
static const struct builtin {
	const char	*name;
	const char	*en;
	const char	*ur_latn;
	const char	*ur;
} builtins[] = {
	{ "more", "98 More", "98 Aur", "98 مزید" },
	{ "nav", "0 Back 00 Home", "0 Wapas 00 Shuru", "0 واپس 00 شروع" },
	{ "invalid", "Invalid choice.", "Ghalat intikhab.", "غلط انتخاب۔" },
	{ "invalid_input", "Invalid entry.", "Ghalat andraaj.",
	  "غلط اندراج۔" },
	{ "yes", "1. Yes", "1. Haan", "1. ہاں" },
	{ "no", "2. No", "2. Nahin", "2. نہیں" },
	{ "busy", "Service busy, please try again later.",
	  "Service masroof hai, baraye meharbani thori dair baad koshish "
	  "karein.",
	  "سروس مصروف ہے، براہ کرم کچھ دیر بعد دوبارہ کوشش کریں۔" },
	{ "expired", "Your session has expired. Please dial again.",
	  "Aap ka session khatam ho gaya hai. Baraye meharbani dobara dial "
	  "karein.",
	  "آپ کا سیشن ختم ہو گیا ہے۔ براہ کرم دوبارہ ڈائل کریں۔" },
	{ "failed",
	  "Sorry, we could not record your request. Please try again.",
	  "Maazrat, hum aap ki darkhwast darj nahin kar sake. Baraye "
	  "meharbani dobara koshish karein.",
	  "معذرت، ہم آپ کی درخواست درج نہیں کر سکے۔ براہ کرم دوبارہ کوشش "
	  "کریں۔" },
	{ "unknown", "This service is not available.",
	  "Yeh service dastyab nahin hai.",
	  "یہ سروس دستیاب نہیں ہے۔" },
	{ "unreadable", "Sorry, your message could not be read. Please try "
	  "again.",
	  "Maazrat, aap ka paigham parha nahin ja saka. Baraye meharbani "
	  "dobara koshish karein.",
	  "معذرت، آپ کا پیغام پڑھا نہیں جا سکا۔ براہ کرم دوبارہ کوشش کریں۔" },
	{ "limited", "Sorry, you have reached the limit for now. Please try "
	  "again later.",
	  "Maazrat, aap abhi hadd tak pohanch gaye hain. Baraye meharbani "
	  "baad mein koshish karein.",
	  "معذرت، آپ ابھی حد تک پہنچ گئے ہیں۔ براہ کرم بعد میں کوشش کریں۔" },
	{ "too_long", "Too many choices at once. Please dial the service "
	  "code and choose step by step.",
	  "Aik saath bohat zyada intikhab. Baraye meharbani service code "
	  "dial kar ke qadam ba qadam chunein.",
	  "ایک ساتھ بہت زیادہ انتخاب۔ براہ کرم سروس کوڈ ڈائل کر کے قدم بہ "
	  "قدم چنیں۔" },
	{ "sms", "This number answers text messages soon. To ask for help "
	  "now, dial the service code.",
	  "Yeh number jald SMS ka jawab dega. Madad ke liye abhi service "
	  "code dial karein.",
	  "یہ نمبر جلد ایس ایم ایس کا جواب دے گا۔ مدد کے لیے ابھی سروس کوڈ "
	  "ڈائل کریں۔" },
};
_Static_assert(sizeof builtins / sizeof builtins[0] == MENU_NBUILTINS,
    "MENU_NBUILTINS is the number of built-in messages");

int
menu_builtin_index(const char *name)
{
	size_t	 k;

	for (k = 0; k < MENU_NBUILTINS; k++) {
		if (strcmp(builtins[k].name, name) == 0)
			return (int)k;
	}
	return -1;
}

void
menu_text_free(const struct menu *m, struct menu_text *t)
{
	size_t	 i;

	if (t->tr == NULL)
		return;
	for (i = 0; i < m->nlangs; i++)
		free(t->tr[i]);
	free(t->tr);
	t->tr = NULL;
}

/* The message table: override, else the built-in default in that
 * language, else the built-in English one. */
static void
build_messages(struct menu *m)
{
	const struct builtin	*b;
	const char		*v, *tag;
	size_t			 k, l;

	m->msgs = xcalloc(MENU_NBUILTINS * m->nlangs + 1, sizeof *m->msgs);
	for (k = 0; k < MENU_NBUILTINS; k++) {
		b = &builtins[k];
		for (l = 0; l < m->nlangs; l++) {
			tag = m->langs[l];
			v = NULL;
			if (m->overrides[k].tr != NULL)
				v = m->overrides[k].tr[l];
			if (v == NULL && strcmp(tag, "ur-Latn") == 0)
				v = b->ur_latn;
			if (v == NULL && strcmp(tag, "ur") == 0)
				v = b->ur;
			if (v == NULL)
				v = b->en;
			m->msgs[k * m->nlangs + l] = v;
		}
	}
}

/* Whether a menu with errors still has what the checks of -t walk: its
 * languages (every text is keyed by them) and its screens. */
static int
checkable(const struct menu *m)
{
	return m->nlangs > 0 && m->nscreens > 0;
}

struct menu *
menu_load_for_check(const char *path, struct errlist *errs, int *broken)
{
	struct menu	*m;
	config_t	 cf;
	FILE		*f;
	size_t		 nerrs = errs->n;

	*broken = 1;
	m = xcalloc(1, sizeof *m);
	m->path = xstrdup(path);

	if ((f = fopen(path, "r")) == NULL) {
		errlist_add(errs, path, 0, "%s", strerror(errno));
		menu_free(m);
		return NULL;
	}
	config_init(&cf);
	if (!config_read(&cf, f)) {
		if (config_error_type(&cf) == CONFIG_ERR_FILE_IO)
			errlist_add(errs, path, 0, "cannot read menu file");
		else
			errlist_add(errs, config_error_file(&cf) != NULL ?
			    config_error_file(&cf) : path,
			    config_error_line(&cf), "%s",
			    config_error_text(&cf));
		config_destroy(&cf);
		fclose(f);
		menu_free(m);
		return NULL;
	}
	fclose(f);
	menu_compile(m, &cf, errs);
	config_destroy(&cf);
	*broken = errs->n != nerrs;
	if (*broken && !checkable(m)) {
		menu_free(m);
		return NULL;
	}
	build_messages(m);
	return m;
}

struct menu *
menu_load(const char *path, struct errlist *errs)
{
	struct menu	*m;
	int		 broken;

	m = menu_load_for_check(path, errs, &broken);
	if (broken) {
		menu_free(m);
		return NULL;
	}
	return m;
}

static void
values_free(const struct menu *m, struct menu_value *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		menu_text_free(m, &v[i].text);
	}
	free(v);
}

void
menu_free(struct menu *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nscreens; i++)
		screen_free(m, &m->screens[i]);
	free(m->screens);
	values_free(m, m->values, m->nvalues);
	for (i = 0; i < m->ncommands; i++)
		command_free(m, &m->commands[i]);
	free(m->commands);
	values_free(m, m->notifications, m->nnotifications);
	for (i = 0; i < MENU_NBUILTINS; i++)
		menu_text_free(m, &m->overrides[i]);
	free(m->msgs);
	for (i = 0; i < m->nsensitive; i++)
		free(m->sensitive[i]);
	free(m->sensitive);
	for (i = 0; i < m->nlangs; i++)
		free(m->langs[i]);
	free(m->langs);
	for (i = 0; i < m->nfiles; i++)
		free(m->files[i]);
	free(m->files);
	free(m->name);
	free(m->path);
	free(m);
}

size_t
menu_ncommands(const struct menu *m)
{
	return m->ncommands;
}

const struct menu_command *
menu_command(const struct menu *m, size_t i)
{
	return i < m->ncommands ? &m->commands[i] : NULL;
}

const struct menu_command *
menu_command_by_action(const struct menu *m, enum command_action a)
{
	for (size_t i = 0; i < m->ncommands; i++)
		if (m->commands[i].action == a)
			return &m->commands[i];
	return NULL;
}

const struct menu_text *
menu_notification(const struct menu *m, const char *event)
{
	for (size_t i = 0; i < m->nnotifications; i++)
		if (strcmp(m->notifications[i].name, event) == 0)
			return &m->notifications[i].text;
	return NULL;
}

const char *
menu_name(const struct menu *m)
{
	return m->name;
}

const char *
menu_path(const struct menu *m)
{
	return m->path;
}

const char *
menu_default_lang(const struct menu *m)
{
	return m->langs[m->deflang];
}

int
menu_has_lang(const struct menu *m, const char *lang)
{
	return menu_lang_index(m, lang) != -1;
}

const char *
menu_message(const struct menu *m, const char *name, const char *lang)
{
	int	 k, l;

	if ((l = menu_lang_index(m, lang)) == -1)
		l = m->deflang;
	if ((k = menu_builtin_index(name)) == -1)
		return "";
	return m->msgs[k * m->nlangs + l];
}

int
menu_var_sensitive(const struct menu *m, const char *var)
{
	size_t	 i;

	for (i = 0; i < m->nsensitive; i++) {
		if (strcmp(m->sensitive[i], var) == 0)
			return 1;
	}
	return 0;
}

const struct menu_screen *
menu_screen(const struct menu *m, const char *id)
{
	size_t	 i;

	if (id == NULL)
		return NULL;
	for (i = 0; i < m->nscreens; i++) {
		if (m->screens[i].id != NULL &&
		    strcmp(m->screens[i].id, id) == 0)
			return &m->screens[i];
	}
	return NULL;
}

const struct menu_screen *
menu_start(const struct menu *m)
{
	return m->start;
}

const struct menu_screen *
menu_home(const struct menu *m)
{
	return m->home;
}

size_t
menu_nlangs(const struct menu *m)
{
	return m->nlangs;
}

int
menu_lang_index(const struct menu *m, const char *lang)
{
	size_t	 i;

	if (lang == NULL)
		return -1;
	for (i = 0; i < m->nlangs; i++) {
		if (strcmp(m->langs[i], lang) == 0)
			return (int)i;
	}
	return -1;
}

const char *
menu_lang(const struct menu *m, int idx)
{
	if (idx < 0 || (size_t)idx >= m->nlangs)
		return m->langs[m->deflang];
	return m->langs[idx];
}

const char *
menu_tr(const struct menu *m, const struct menu_text *t, int idx)
{
	size_t	 i;

	if (t->tr == NULL)
		return "";
	if (idx >= 0 && (size_t)idx < m->nlangs && t->tr[idx] != NULL)
		return t->tr[idx];
	if (t->tr[m->deflang] != NULL)
		return t->tr[m->deflang];
	for (i = 0; i < m->nlangs; i++) {
		if (t->tr[i] != NULL)
			return t->tr[i];
	}
	return "";
}

const char *
menu_value(const struct menu *m, const char *value, int idx)
{
	size_t	 i;

	/* Without regard to ASCII case: a donor's "NEEDS LAHORE" reads as
	 * the value lahore. */
	for (i = 0; i < m->nvalues; i++) {
		if (strcasecmp(m->values[i].name, value) == 0)
			return menu_tr(m, &m->values[i].text, idx);
	}
	return NULL;
}

size_t
menu_nsensitive(const struct menu *m)
{
	return m->nsensitive;
}

const char *
menu_sensitive(const struct menu *m, size_t i)
{
	return m->sensitive[i];
}
