/* openloop N [PIDFILE]: open("/dev/null") and close it N times, as fast as
 * possible; writes its pid to PIDFILE first.  Exit 1 if an open fails. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100000;
	if (argc > 2) {
		FILE *f = fopen(argv[2], "w");
		if (!f)
			return 1;
		fprintf(f, "%d\n", (int)getpid());
		fclose(f);
	}
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd < 0)
			return 1;
		close(fd);
	}
	return 0;
}
