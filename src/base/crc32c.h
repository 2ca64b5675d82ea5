/* CRC32C (Castagnoli), the checksum of Kafka RecordBatch v2. Uses the SSE4.2
 * crc32 instruction when the CPU has it, a slicing-by-8 table otherwise. */
#ifndef ED_CRC32C_H
#define ED_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* Extend crc (0 to start) over n bytes. */
uint32_t ed_crc32c(uint32_t crc, const void *p, size_t n);
uint32_t ed_crc32c_sw(uint32_t crc, const void *p, size_t n);
/* Returns the hardware result, or falls back to software if unsupported. */
uint32_t ed_crc32c_hw(uint32_t crc, const void *p, size_t n);
int ed_crc32c_hw_available(void);

#endif
