/** Who is asking: the broker authenticated it and the topic names it. */
export interface RegisterAddress {
  readonly storeId: string;
  readonly registerId: string;
}
