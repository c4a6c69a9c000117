/*
 * startup.c - vector table, reset, SysTick time base and fault reporting for
 * the Cortex-M55 of QEMU mps3-an547 (the core starts in Secure state with
 * VTOR = 0, where linker.ld puts .vectors).
 */
#include <stdint.h>

#include "board.h"
#include "uart.h"

#define REG(addr) (*(volatile uint32_t *)(addr))
#define SCB_ICSR REG(0xE000ED04u)
#define SCB_SHCSR REG(0xE000ED24u)
#define SCB_CFSR REG(0xE000ED28u)
#define SCB_HFSR REG(0xE000ED2Cu)
#define SCB_MMFAR REG(0xE000ED34u)
#define SCB_BFAR REG(0xE000ED38u)
#define SCB_CPACR REG(0xE000ED88u)
#define SYST_CSR REG(0xE000E010u)
#define SYST_RVR REG(0xE000E014u)
#define SYST_CVR REG(0xE000E018u)
#define ICSR_PENDSTSET (1u << 26)

extern uint32_t __data_start, __data_end, __data_load, __bss_start, __bss_end, __stack_top;
int main(void);

/* ---- SysTick stopwatch ----------------------------------------------------
 * The 24-bit down-counter runs RVR=0xFFFFFF .. 0; its interrupt (counted in
 * systick_wraps) fires on reaching 0, one tick before the reload. Writing CVR
 * clears it and it loads RVR one tick later without an interrupt. QEMU restarts
 * its tick grid at that write, so under -icount a reading depends only on the
 * instructions run since board_stopwatch_start, not on when it was called:
 * that is what makes INVOKE's instruction count repeatable. */
#define ICSR_PENDSTCLR (1u << 25)
static volatile uint32_t systick_wraps;

static void systick_handler(void) { systick_wraps++; }

void board_stopwatch_start(void) {
    uint32_t primask;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    SYST_CVR = 0;
    SCB_ICSR = ICSR_PENDSTCLR;
    systick_wraps = 0;
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
}

uint64_t board_stopwatch_ticks(void) {
    uint32_t primask, hi, cur;
    __asm volatile("mrs %0, primask\n cpsid i" : "=r"(primask)::"memory");
    hi = systick_wraps;
    cur = SYST_CVR;
    /* A wrap whose interrupt is still pending has not reached systick_wraps yet. */
    if (SCB_ICSR & ICSR_PENDSTSET) {
        hi++;
        cur = SYST_CVR;
    }
    __asm volatile("msr primask, %0" ::"r"(primask) : "memory");
    /* cur: 0 (start), 0xFFFFFF (1 tick), ..., 0 (2^24 ticks, hi counted), 0xFFFFFF, ... */
    return ((uint64_t)hi << 24) + ((0x1000000u - cur) & 0xFFFFFFu);
}

/* ---- exit and faults ----------------------------------------------------- */
void board_exit(int code) {
    /* SYS_EXIT; QEMU exits 0 for ApplicationExit, 1 for any other reason. */
    register uint32_t r0 __asm("r0") = 0x18u;
    register uint32_t r1 __asm("r1") = code == 0 ? 0x20026u : 0x20023u;
    __asm volatile("bkpt 0xab" ::"r"(r0), "r"(r1) : "memory");
    for (;;) {
    }
}

static void put_hex(const char *name, uint32_t v) {
    uart_puts(name);
    uart_puts("=0x");
    for (int shift = 28; shift >= 0; shift -= 4)
        uart_putc((uint8_t)"0123456789abcdef"[(v >> shift) & 15u]);
}

/* Plain text (no 0x7E), so the host's frame decoder skips it as noise while a
 * person reading the serial log or QEMU's exit code sees what happened. */
__attribute__((used)) void fault_report(const uint32_t *frame, uint32_t exc_return) {
    uint32_t ipsr;
    __asm volatile("mrs %0, ipsr" : "=r"(ipsr));
    uart_puts("\r\n*** FAULT");
    put_hex(" exc", ipsr & 0x1FFu);
    put_hex(" pc", frame[6]);
    put_hex(" lr", frame[5]);
    put_hex(" cfsr", SCB_CFSR);
    put_hex(" hfsr", SCB_HFSR);
    put_hex(" mmfar", SCB_MMFAR);
    put_hex(" bfar", SCB_BFAR);
    put_hex(" excret", exc_return);
    uart_puts("\r\n");
    board_exit(1);
}

/* Find the stacked frame (MSP or PSP per EXC_RETURN bit 2) and report it. */
__attribute__((naked)) static void fault_handler(void) {
    __asm volatile(
        "tst lr, #4\n"
        "ite eq\n"
        "mrseq r0, msp\n"
        "mrsne r0, psp\n"
        "mov r1, lr\n"
        "b fault_report\n");
}

/* ---- reset ---------------------------------------------------------------- */
__attribute__((noreturn)) void reset_handler(void) {
    /* CP10/CP11 full access (FPU and MVE) first: the compiler turns the copy and
     * clear loops below into memcpy / memset calls, and ours (memcpy.c) uses MVE,
     * which would fault (NOCP) on the first non-empty .data. */
    SCB_CPACR |= 0xFu << 20;
    __asm volatile("dsb\n isb" ::: "memory");
    uint32_t *src = &__data_load, *dst = &__data_start;
    while (dst < &__data_end)
        *dst++ = *src++;
    for (dst = &__bss_start; dst < &__bss_end;)
        *dst++ = 0;
    SCB_SHCSR |= 7u << 16; /* MemManage, BusFault, UsageFault get their own (shared) handler */
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;
    SYST_CSR = 7u; /* processor clock, interrupt on reaching 0, enable */
    board_exit(main());
}

typedef void (*vector)(void);
__attribute__((section(".vectors"), used)) static const vector vectors[16 + UART0_RX_IRQ + 1] = {
    (vector)(uintptr_t)&__stack_top,
    reset_handler,
    fault_handler,   /* NMI; every unexpected exception is reported as a fault */
    fault_handler,   /* HardFault */
    fault_handler,   /* MemManage */
    fault_handler,   /* BusFault */
    fault_handler,   /* UsageFault */
    fault_handler,   /* SecureFault */
    0, 0, 0,
    fault_handler, /* SVCall */
    fault_handler, /* DebugMonitor */
    0,
    fault_handler, /* PendSV */
    systick_handler,
    /* UART0 RX is enabled in the NVIC but never taken (uart_idle); were it
     * ever, it would be reported like any other unexpected exception. */
    [16 + UART0_RX_IRQ] = fault_handler,
};
