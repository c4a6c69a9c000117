/* profile.h - per-layer instruction counts of a PROFILE=1 build (profile.c). */
#ifndef PROFILE_H
#define PROFILE_H

#include <stdint.h>

#include "edla.h"

/* Clear the per-op counts; call right after board_stopwatch_start. */
void profile_start(void);
/* Print the counts of the invoke just run (total_ticks: its whole time). */
void profile_report(const edla_model *model, uint64_t total_ticks);

#endif
