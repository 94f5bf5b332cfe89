// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * C++ ground truth for `latprof alloc`: new and delete. Prints its pid, then
 * per line read on stdin runs a round and prints "done":
 *   cxx_array()   1000 x new char[4096], each deleted
 *   cxx_object()  500 x new Node (64 bytes), each deleted
 */
#include <cstdio>
#include <iostream>
#include <string>
#include <unistd.h>

#define noinline __attribute__((noinline, noclone))

struct Node {
	char payload[64];
};

static void *volatile sink;

static noinline void cxx_array()
{
	for (int i = 0; i < 1000; i++) {
		char *p = new char[4096];

		sink = p;
		delete[] p;
	}
}

static noinline void cxx_object()
{
	for (int i = 0; i < 500; i++) {
		Node *n = new Node;

		sink = n;
		delete n;
	}
}

int main()
{
	std::string line;

	std::printf("%d\n", getpid());
	std::fflush(stdout);
	while (std::getline(std::cin, line)) {
		cxx_array();
		cxx_object();
		std::printf("done\n");
		std::fflush(stdout);
	}
	return 0;
}
