/* board.h - what startup.c provides to the rest of the firmware. */
#ifndef BOARD_H
#define BOARD_H

#include <stdint.h>

/* SysTick clock (the an547's 32 MHz system clock). */
#define BOARD_SYSTICK_HZ 32000000u

/* SysTick as a 64-bit stopwatch (24-bit counter + wrap count): restart it,
 * then read the ticks elapsed since. */
void board_stopwatch_start(void);
uint64_t board_stopwatch_ticks(void);

/* Leave QEMU through semihosting SYS_EXIT: code 0 = success, else failure. */
void board_exit(int code) __attribute__((noreturn));

#endif
