/*
 * requant.c - the exported twin of requantize() for tests and host tools.
 */
#include "edla.h"
#include "requant.h"

int32_t edla_requantize(int32_t acc, int32_t multiplier, int32_t shift) {
    return requantize(acc, multiplier, shift);
}
