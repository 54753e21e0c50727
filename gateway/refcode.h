/*
 * Reference codes for submitted requests: six characters a subscriber can
 * read out over the phone, e.g. "7K3QX9".  The alphabet has 32 symbols and
 * leaves out 0, O, 1 and I, which are easily confused; 30 random bits per
 * code.
 */
#ifndef ASANIGW_REFCODE_H
#define ASANIGW_REFCODE_H

#include <stddef.h>

#define REFCODE_LEN	6

/* Writes a new random code and a NUL to buf (len >= REFCODE_LEN + 1).
 * Aborts if the system cannot supply random bytes or buf is too short. */
void	refcode_new(char *buf, size_t len);
/* The code that stands for REFCODE_LEN given bytes (e.g. of a hash), so
 * the same bytes always give the same code. */
void	refcode_from(const unsigned char *bytes, char *buf, size_t len);
/* Returns 1 if s is exactly REFCODE_LEN symbols of the alphabet, in any
 * case; 0 otherwise (also for NULL). */
int	refcode_valid(const char *s);
/* Uppercases s in place, so a valid code compares equal to the issued
 * one. */
void	refcode_normalize(char *s);

#endif
