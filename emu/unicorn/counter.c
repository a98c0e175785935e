/* Native helper for the Unicorn engine: an instruction-counting code hook.
 *
 * kdemu's budgets and virtual time depend on an exact count of executed instructions, identical on every
 * engine. A JavaScript hook per instruction would be ruinously slow, so this C hook (a few nanoseconds per
 * instruction) increments a 64-bit counter that the engine reads after each run. Built by scripts/setup.sh
 * with the system C compiler; Unicorn's headers are not needed, the hook signature is plain C. */
#include <stdint.h>

static void kdemu_count_instruction(void *uc, uint64_t address, uint32_t size, void *user_data) {
    (void)uc; (void)address; (void)size;
    ++*(uint64_t *)user_data;
}

/* The hook's address, to be passed to uc_hook_add(UC_HOOK_CODE) with a pointer to a uint64_t counter. */
void *kdemu_count_hook(void) { return (void *)kdemu_count_instruction; }

/* Coverage: the hook is added for the covered range only; user_data is a struct kdemu_cover whose bitmap has one
 * bit per byte address (bit k of bits[k >> 3] for address begin + k), set for each instruction that starts there. */
struct kdemu_cover {
    uint64_t begin;
    uint64_t size;
    uint8_t bits[];
};

static void kdemu_cover_instruction(void *uc, uint64_t address, uint32_t size, void *user_data) {
    struct kdemu_cover *c = user_data;
    uint64_t off = address - c->begin;
    (void)uc; (void)size;
    if (off < c->size) c->bits[off >> 3] |= (uint8_t)(1u << (off & 7));
}

void *kdemu_cover_hook(void) { return (void *)kdemu_cover_instruction; }
