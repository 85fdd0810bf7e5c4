/* Configure-time probe: can the C compiler build a static 32-bit program? */
int main(void)
{
	return 0;
}
