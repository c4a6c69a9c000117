/* uart.h - CMSDK UART0 of mps3-an547, no interrupt handlers. */
#ifndef UART_H
#define UART_H

#include <stdint.h>

#define UART0_RX_IRQ 33u /* SSE-300 expansion interrupt of UART0 RX on the an547 */

void uart_init(void);
/* Next received byte; polls, then sleeps (WFI) while the line is idle. */
uint8_t uart_getc_wait(void);
/* Send one byte, draining RX into a small FIFO while TX is busy. */
void uart_putc(uint8_t c);
void uart_puts(const char *s);
/* frame_put_fn-compatible wrapper. */
void uart_put_cb(void *ctx, uint8_t c);

#endif
