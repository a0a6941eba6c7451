// A boolean query parameter as apimachinery converts one (meta/v1 Convert_Slice_string_To_bool, used for
// ListOptions, GetOptions, DeleteOptions, …): absent, "0" or "false" in any case is false; any other
// value — "true", "1", "t", "yes", even an empty `?watch=` or a bare `?watch` — is true, never a 400.
export function queryBool(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !(value === '0' || value.toLowerCase() === 'false');
}
