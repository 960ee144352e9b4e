/** ECPay vectors shared by this package's tests and the `kaituan serve` tests. */

// protocols.md §6.1 vector 3: a real stage ReturnURL callback.
export const realCallback = {
  CustomField1: "",
  CustomField2: "",
  CustomField3: "",
  CustomField4: "",
  MerchantID: "3002607",
  MerchantTradeNo: "test1734430936645",
  PaymentDate: "2024/12/17 18:22:54",
  PaymentType: "Credit_CreditCard",
  PaymentTypeChargeFee: "2",
  RtnCode: "1",
  RtnMsg: "交易成功",
  SimulatePaid: "0",
  StoreID: "",
  TradeAmt: "100",
  TradeDate: "2024/12/17 18:22:16",
  TradeNo: "2412171822169397",
  CheckMacValue: "447090F34BFFD306CE78C3CF5C52725A8AEC851EB37629B2F2D10423E38BAD26"
}
