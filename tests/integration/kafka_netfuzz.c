/* Network fuzzer for the Kafka front end, used by test_kafka_badinput.sh:
 * frames from the decoder's fuzz corpus (captured kcat, librdkafka and
 * kafkajs requests) are mutated (bytes, int32/int16 fields set to edge
 * values, truncation, trailing bytes, other versions) and sent to a running
 * server over many short connections, so that handlers, not only the
 * decoder, see hostile but decodable values (negative partitions, huge
 * counts and timeouts, odd acks). The server must stay up; the script checks
 * that afterwards.
 *
 *   it_kafka_netfuzz HOST PORT CORPUS_DIR SECONDS SEED */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 256
#define MAX_LEN 8192

static uint8_t *frames[MAX_FRAMES];
static size_t lens[MAX_FRAMES];
static size_t nframes;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void load(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		exit(1);
	}
	struct dirent *e;
	while ((e = readdir(d)) && nframes < MAX_FRAMES) {
		if (e->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		uint8_t *buf = malloc(MAX_LEN);
		size_t n = buf ? fread(buf, 1, MAX_LEN, f) : 0;
		fclose(f);
		if (n >= 8) {
			frames[nframes] = buf;
			lens[nframes++] = n;
		} else {
			free(buf);
		}
	}
	closedir(d);
	if (!nframes) {
		fprintf(stderr, "no frames in %s\n", dir);
		exit(1);
	}
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Mutate a copy of a corpus frame into out (room for MAX_LEN + 64). */
static size_t mutate(uint8_t *out)
{
	static const uint32_t edges32[] = {0,           1,           0xffffffffu, 0xfffffffeu,
					   0x7fffffffu, 0x80000000u, 1000,        65536};
	static const uint16_t edges16[] = {0, 0xffff, 1, 0x7fff, 0x8000};
	size_t i = (size_t)rand() % nframes;
	size_t n = lens[i];
	memcpy(out, frames[i], n);
	int steps = 1 + rand() % 4;
	for (int s = 0; s < steps; s++) {
		int op = rand() % 10;
		if (op < 4 && n > 8) {
			out[8 + (size_t)rand() % (n - 8)] = (uint8_t)rand();
		} else if (op < 6 && n > 12) {
			put32(out + 8 + (size_t)rand() % (n - 11), edges32[rand() % 8]);
		} else if (op < 7 && n > 10) {
			size_t at = 8 + (size_t)rand() % (n - 9);
			uint16_t v = edges16[rand() % 5];
			out[at] = (uint8_t)(v >> 8);
			out[at + 1] = (uint8_t)v;
		} else if (op < 8) {
			n = 8 + (size_t)rand() % (n - 7);
		} else if (op < 9 && n < MAX_LEN) {
			size_t extra = 1 + (size_t)rand() % 16;
			for (size_t k = 0; k < extra; k++)
				out[n++] = (uint8_t)rand();
		} else {
			out[2] = 0;
			out[3] = (uint8_t)(rand() % 12); /* another version */
		}
	}
	return n;
}

int main(int argc, char **argv)
{
	if (argc != 6) {
		fprintf(stderr, "usage: %s HOST PORT CORPUS_DIR SECONDS SEED\n", argv[0]);
		return 2;
	}
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "bad host %s\n", argv[1]);
		return 2;
	}
	load(argv[3]);
	double end = now_s() + atof(argv[4]);
	srand((unsigned)atoi(argv[5]));
	static uint8_t buf[MAX_LEN + 68], junk[65536];
	long sent = 0, conns = 0;
	while (now_s() < end) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			fprintf(stderr, "connect: %s\n", strerror(errno));
			if (fd >= 0)
				close(fd);
			return 1; /* the server must keep accepting */
		}
		conns++;
		int reqs = 1 + rand() % 20;
		for (int r = 0; r < reqs; r++) {
			size_t n = mutate(buf + 4);
			put32(buf, (uint32_t)n);
			if (send(fd, buf, n + 4, MSG_NOSIGNAL) < 0)
				break;
			sent++;
			/* take whatever answer comes quickly; do not wait for long polls */
			struct pollfd p = {.fd = fd, .events = POLLIN};
			if (poll(&p, 1, 2) > 0 && recv(fd, junk, sizeof(junk), MSG_DONTWAIT) == 0)
				break;
		}
		close(fd);
	}
	printf("netfuzz: %ld mutated frames on %ld connections\n", sent, conns);
	return 0;
}
