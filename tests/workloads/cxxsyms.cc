// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
// C++ workload for the demangling tests: prints the addresses of namespaced
// and templated functions with known demangled names, then waits on stdin.
#include <cstdio>
#include <unistd.h>

namespace shop {
template <typename T> struct Basket {
	static T total;
	__attribute__((noinline)) static T add(T x)
	{
		total += x;
		return total;
	}
};
template <typename T> T Basket<T>::total;

__attribute__((noinline)) double price(double base, int qty)
{
	return base * qty;
}
} // namespace shop

int main()
{
	char c;

	std::printf("shop::Basket<int>::add(int) %p\n", (void *)&shop::Basket<int>::add);
	std::printf("shop::price(double, int) %p\n", (void *)&shop::price);
	std::fflush(stdout);
	if (read(0, &c, 1) < 0)
		return 1;
	return (int)shop::price(shop::Basket<int>::add(2), 3);
}
